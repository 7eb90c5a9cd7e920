# Independent reference for lib/compare/compare.test.ts: the same definitions written out with
# scipy (stats.t for quantiles and tails, stats.ttest_ind for Welch), not with our code.
# Run: python3 lib/compare/reference.py   (scipy 1.17.1; apt-get install python3-scipy works too)
import math
from scipy import stats

def ref(cand, refv, step_c, step_r, direction, margin, level=0.95):
    nc, nr = len(cand), len(refv)
    mc, mr = sum(cand) / nc, sum(refv) / nr
    sc2 = stats.tvar(cand); sr2 = stats.tvar(refv)                      # n-1 variances
    vc = (sc2 + step_c ** 2 / 12) / (nc * mc * mc)                      # + rounding variance Δ²/12
    vr = (sr2 + step_r ** 2 / 12) / (nr * mr * mr)
    se = math.sqrt(vc + vr)
    df = (vc + vr) ** 2 / (vc ** 2 / (nc - 1) + vr ** 2 / (nr - 1))     # Welch–Satterthwaite
    L = math.log(mc / mr)
    pct = (lambda r: (1 / r - 1) * 100) if direction == 'higher' else (lambda r: (r - 1) * 100)
    q = stats.t.ppf(1 - (1 - level) / 2, df)
    ci = sorted([pct(math.exp(L - q * se)), pct(math.exp(L + q * se))])
    # TOST: H0 overhead <= -m and H0 overhead >= +m, on the log ratio, each one-sided at 5 %.
    lo_r, hi_r = sorted([1 / (1 - margin / 100), 1 / (1 + margin / 100)] if direction == 'higher' else [1 - margin / 100, 1 + margin / 100])
    p1 = stats.t.sf((L - math.log(lo_r)) / se, df)    # H0: ratio <= lo_r
    p2 = stats.t.cdf((L - math.log(hi_r)) / se, df)   # H0: ratio >= hi_r
    welch = stats.ttest_ind(cand, refv, equal_var=False)
    return dict(ratio=mc / mr, overhead=pct(mc / mr), ci=ci, df=df, tost_p=max(p1, p2), welch_p=welch.pvalue)

CASES = {
    'identical': ([100, 101, 99], [100, 101, 99], 1, 1, 'higher', 3),
    'equivalent': ([1000.12, 1002.50, 998.30, 1001.07, 999.40], [1001.00, 999.80, 1000.50, 1002.10, 998.90], 0.01, 0.01, 'higher', 3),
    'worse': ([900.5, 905.2, 898.7, 902.1], [1000.3, 1001.2, 999.5, 1000.9], 0.1, 0.1, 'higher', 3),
    'better_latency': ([1.52, 1.55, 1.50, 1.53], [2.01, 1.98, 2.03, 2.00], 0.01, 0.01, 'lower', 3),
    'inconclusive': ([80, 82, 78], [100, 110, 90], 1, 1, 'higher', 3),
    'constant': ([1000.00, 1000.00, 1000.00], [1000.00, 1000.00, 1000.00], 0.01, 0.01, 'higher', 3),
}
for name, args in CASES.items():
    print(name, ref(*args))
