# Independent reference for lib/compare/compare.test.ts (issue 22): the engine's definitions
# written out again with numpy/scipy, not with our code, plus two checks against established
# implementations: scipy's Welch t-test on log run means (the engine with no prior is exactly
# that), and statsmodels' REML mixed model log(y) ~ 1 + (1 | run) for the run-to-run spread.
# Writes lib/compare/reference.json, which the test reads (CI needs no Python).
# Run: /usr/bin/python3 lib/compare/reference.py   (Debian 12: python3-scipy 1.10.1,
# python3-statsmodels 0.13.5: apt-get install -y --no-install-recommends python3-scipy python3-statsmodels)
import json, math, os
import numpy as np
from scipy import stats
import statsmodels.formula.api as smf
import pandas as pd

PRIOR_RUN_SD, PRIOR_DF = 0.02, 1.0
OUTLIER_Z, MAD_EFF, MAD_TO_SD = 4.0, 0.37, 1.482602218505602
Z95 = 1.959963984540054


def run_mean(run):
    v = np.array(run['values'], float); n = len(v); m = v.mean()
    s2 = v.var(ddof=1) if n >= 2 else 0.0
    return dict(id=run['id'], t=run['t'], n=n, mean=m, log=math.log(m), within=s2 / (n * m * m),
                rsd=math.sqrt(s2) / m, step=run['step'], bound=math.log(m / (m - run['step'] / 2)))


def prior_sd(runs):
    sc = [r['rsd'] for r in runs if r['n'] >= 2]
    return max(PRIOR_RUN_SD, float(np.median(sc)) if sc else 0.0)


def moderated_scale(logs, floor, floor_df=PRIOR_DF):
    if len(logs) < 2: return floor
    df = MAD_EFF * (len(logs) - 1)
    sd = MAD_TO_SD * float(np.median(np.abs(np.array(logs) - np.median(logs))))
    return math.sqrt((floor_df * floor ** 2 + df * sd ** 2) / (floor_df + df))


def clean(runs, floor):
    """Outlier rule only (every case here has fewer than 6 runs: no step can be found)."""
    kept, excluded, for_spread = list(runs), [], list(runs)
    if len(kept) >= 3:
        logs = [r['log'] for r in kept]; mid = float(np.median(logs))
        limit = OUTLIER_Z * moderated_scale(logs, floor)
        far = [abs(r['log'] - mid) > limit for r in kept]
        excluded = [r['id'] for r, f in zip(kept, far) if f]
        for_spread = [dict(r, log=mid + math.copysign(limit, r['log'] - mid)) if f else r for r, f in zip(kept, far)]
        kept = [r for r, f in zip(kept, far) if not f]
    return kept, for_spread, excluded


def learn(runs, prior, prior_df):
    k = len(runs); w = float(np.mean([r['within'] for r in runs])) if k else 0.0
    if k < 2: return dict(tau2=prior ** 2, df=prior_df, runvar=prior ** 2 + w)
    logs = np.array([r['log'] for r in runs])
    # Every case has fewer than 5 runs per series or a negative lag-one autocorrelation: ρ = 0.
    s2 = float(logs.var(ddof=1)); d = k - 1
    mod = lambda a, b: (prior_df * a + d * b) / (prior_df + d)
    return dict(tau2=mod(prior ** 2, max(0.0, s2 - w)), df=prior_df + d, runvar=mod(prior ** 2 + w, s2))


def pool(runs, prior_df):
    means = sorted([run_mean(r) for r in runs], key=lambda r: r['t'])
    prior = prior_sd(means)
    kept, for_spread, excluded = clean(means, math.sqrt(prior ** 2 + np.mean([r['within'] for r in means])))
    sp = learn(for_spread, prior, prior_df); k = len(kept)
    return dict(log=float(np.mean([r['log'] for r in kept])), terms=[(sp['runvar'] / k, sp['df'])], noise=sp['tau2'] / k,
                bound=float(np.mean([r['bound'] for r in kept])), tau2=sp['tau2'], excluded=excluded, k=k)


def with_history(run, history, prior_df, borrowed):
    j = run_mean(run)
    series = sorted([run_mean(r) for r in history] + [j], key=lambda r: r['t'])
    prior = max(prior_sd([j]), borrowed)
    kept, for_spread, excluded = clean(series, math.sqrt(prior ** 2 + np.mean([r['within'] for r in series])))
    sp = learn(for_spread, prior, prior_df)
    return dict(log=j['log'], terms=[(sp['tau2'], sp['df']), (j['within'], j['n'] - 1)], noise=sp['tau2'], bound=j['bound'],
                tau2=sp['tau2'], excluded=[e for e in excluded if e != j['id']], k=1)


def decide(x, terms, noise, bound, direction, m, level=0.95):
    live = [(v, d) for v, d in terms if v > 0]
    var = sum(v for v, _ in live); se = math.sqrt(var)
    df = min(1e6, var ** 2 / sum(v * v / d for v, d in live)) if live else 1e6
    y = -x if direction == 'higher' else x
    q = lambda c: stats.t.ppf(1 - (1 - c) / 2, df) if se > 0 else 0.0
    h95, h90 = q(level) * se + bound, q(1 - 2 * (1 - level)) * se + bound
    hi, lo = math.log(1 + m / 100), math.log(1 - m / 100)
    pct = lambda v: (math.exp(v) - 1) * 100
    floor = pct(Z95 * math.sqrt(noise))
    if y - h95 > hi: verdict = 'worse'
    elif y + h95 < lo: verdict = 'better'
    elif y - h90 > lo and y + h90 < hi and floor <= m: verdict = 'equivalent'
    else: verdict = 'inconclusive'
    p = float(2 * stats.t.sf(abs(y / se), df)) if se > 0 else None
    return dict(verdict=verdict, overhead=pct(y), low=pct(y - h95), high=pct(y + h95), df=df, p=p, noise_floor=floor,
                rounding=(math.exp(bound) - 1) * 100)


def paired(case):
    """B against A from pairs (runs i of each side): the per-pair log ratios as one pool, prior √(τ_a² + τ_b²)."""
    a = [run_mean(r) for r in case['reference']['runs']]; b = [run_mean(r) for r in case['candidate']['runs']]
    d = sorted([dict(id=f"{x['id']}/{y['id']}", t=min(x['t'], y['t']), n=min(x['n'], y['n']), log=y['log'] - x['log'],
                     within=x['within'] + y['within'], bound=x['bound'] + y['bound']) for x, y in zip(a, b)], key=lambda r: r['t'])
    prior = math.hypot(prior_sd(a), prior_sd(b))
    kept, for_spread, excluded = clean(d, math.sqrt(prior ** 2 + np.mean([r['within'] for r in d])))
    sp = learn(for_spread, prior, case['prior_df']); k = len(kept)
    out = decide(float(np.mean([r['log'] for r in kept])), [(sp['runvar'] / k, sp['df'])], sp['tau2'] / k, float(np.mean([r['bound'] for r in kept])),
                 case['direction'], case['margin'])
    return dict(out, excluded=excluded, runs_reference=k, guest_run_sd_pct=math.sqrt(sp['tau2'] / 2) * 100, baseline_run_sd_pct=math.sqrt(sp['tau2'] / 2) * 100)


def compare(case):
    if case.get('paired'): return paired(case)
    ref = pool(case['reference']['runs'], case['prior_df'])
    c = case['candidate']
    cand = with_history(c['runs'][0], c['history'], case['prior_df'], math.sqrt(ref['tau2'])) if 'history' in c else pool(c['runs'], case['prior_df'])
    out = decide(cand['log'] - ref['log'], cand['terms'] + ref['terms'], cand['noise'] + ref['noise'], cand['bound'] + ref['bound'],
                 case['direction'], case['margin'])
    return dict(out, excluded=ref['excluded'], runs_reference=ref['k'], guest_run_sd_pct=math.sqrt(cand['tau2']) * 100,
                baseline_run_sd_pct=math.sqrt(ref['tau2']) * 100)


H = 3_600_000_000_000  # one hour in ns


def runs(prefix, means, spread, step, t0=0, every=6, n=3):
    """Runs with trials mean·(1 − spread, 1, 1 + spread) (n = 3), printed at `step`, `every` hours apart."""
    out = []
    for i, m in enumerate(means):
        vals = [round(m * (1 + spread * (k - 1)) / step) * step for k in range(n)] if n == 3 else [m] * n
        out.append(dict(id=f'{prefix}{i + 1}', t=t0 + i * every * H, values=[float(f'{v:.10g}') for v in vals], step=step))
    return out


def R(id, hours, values, step=1.0):
    """One run written out: its id, start (hours), trial values and printing step."""
    return dict(id=id, t=int(round(hours * H)), values=values, step=step)


# collector/overhead/overhead.influx.test.ts's runs: a guest run (no history) against two baseline runs 3 h and 10 min before it.
B0, B1 = R('b0', -1, [101, 99]), R('b1', 2 - 1 / 6, [100, 102, 98])
LB0, LB1 = R('b0', -1, [10, 10]), R('b1', 2 - 1 / 6, [10, 11, 9])

# collector/overhead/chain.influx.test.ts: L2 runs on L1 runs on L0, one run each, no history.
L0, L1, L2 = R('l0-run', 0, [100, 110, 90]), R('l1-run', 1 / 6, [50, 55, 45]), R('l2-run', 1 / 3, [10, 11, 9])
M0, M1 = R('m0-run', 0, [100, 102, 98]), R('m1-run', 1 / 12, [99, 101, 100])

# test/report.test.ts: one run a system, an hour ago.
CASES = {
    'report_kvm': dict(candidate=dict(runs=[R('vm1', 0, [80, 82, 78])], history=[]), reference=dict(runs=[R('host-a', 0, [100, 110, 90])]),
                       direction='higher', margin=3, prior_df=1),
    'report_tcg': dict(candidate=dict(runs=[R('vm2', 0, [3, 3.1, 2.9], 0.1)], history=[]), reference=dict(runs=[R('host-a', 0, [100, 110, 90])]),
                       direction='higher', margin=3, prior_df=1),
    'report_mutex': dict(candidate=dict(runs=[R('vm1', 1 / 6, [0.06, 0.066, 0.054], 0.001)], history=[]),
                         reference=dict(runs=[R('host-a', 1 / 6, [0.03, 0.031, 0.029], 0.001)]), direction='lower', margin=10, prior_df=1),
    'report_mutex_patched': dict(candidate=dict(runs=[R('vm1', 1 / 3, [0.05, 0.055, 0.045], 0.001)], history=[]),
                                 reference=dict(runs=[R('host-a', 1 / 6, [0.03, 0.031, 0.029], 0.001)]), direction='lower', margin=10, prior_df=1),
    # report --compare default,patched: vm1's two runs on one host, one pair.
    'report_variants': dict(candidate=dict(runs=[R('vm1-patched', 1 / 3, [0.05, 0.055, 0.045], 0.001)]),
                            reference=dict(runs=[R('vm1-default', 1 / 6, [0.06, 0.066, 0.054], 0.001)]), direction='lower', margin=10, prior_df=1, paired=True),
    'chain_l2_parent': dict(candidate=dict(runs=[L2], history=[]), reference=dict(runs=[L1]), direction='higher', margin=3, prior_df=1),
    'chain_l2_root': dict(candidate=dict(runs=[L2], history=[]), reference=dict(runs=[L0]), direction='higher', margin=3, prior_df=1),
    'chain_l1': dict(candidate=dict(runs=[L1], history=[]), reference=dict(runs=[L0]), direction='higher', margin=3, prior_df=1),
    'chain_margin_3': dict(candidate=dict(runs=[M1], history=[]), reference=dict(runs=[M0]), direction='higher', margin=3, prior_df=1),
    'chain_margin_30': dict(candidate=dict(runs=[M1], history=[]), reference=dict(runs=[M0]), direction='higher', margin=30, prior_df=1),
    'calculator_eps': dict(candidate=dict(runs=[R('g1', 2, [50, 55, 45])], history=[]), reference=dict(runs=[B0, B1]), direction='higher', margin=3, prior_df=1),
    'calculator_latency': dict(candidate=dict(runs=[R('g1', 2, [20, 22, 18])], history=[]), reference=dict(runs=[LB0, LB1]), direction='lower', margin=5, prior_df=1),
    # A guest like its baseline: at the default 3 % the run-to-run noise a new guest must assume exceeds the margin; at 10 % it is equivalent.
    'calculator_alike_3': dict(candidate=dict(runs=[R('g4', 2 + 1 / 6, [99, 101, 100])], history=[]), reference=dict(runs=[B0, B1]), direction='higher', margin=3, prior_df=1),
    'calculator_alike_10': dict(candidate=dict(runs=[R('g4', 2 + 1 / 6, [99, 101, 100])], history=[]), reference=dict(runs=[B0, B1]), direction='higher', margin=10, prior_df=1),
    # B's 4 runs against A's 5 runs (alternating means: negative autocorrelation, so ρ = 0), no prior: Welch on log run means.
    'run_means_welch': dict(candidate=dict(runs=runs('b', [1040, 1075, 1052, 1068], 0.004, 0.01)),
                            reference=dict(runs=runs('a', [1000, 1021, 996, 1018, 1003], 0.004, 0.01)), direction='higher', margin=3, prior_df=0),
    # The same runs with the default prior τ₀ = 2 % worth one degree of freedom.
    'run_means_prior': dict(candidate=dict(runs=runs('b', [1040, 1075, 1052, 1068], 0.004, 0.01)),
                            reference=dict(runs=runs('a', [1000, 1021, 996, 1018, 1003], 0.004, 0.01)), direction='higher', margin=3, prior_df=1),
    # Three baseline runs, the third disturbed (its agent held back by a noisy neighbour); a guest run 20 % slower with 3 earlier runs.
    'disturbed_baseline': dict(candidate=dict(runs=runs('g', [833], 0.003, 0.01, t0=13 * H), history=runs('h', [836, 829, 831], 0.003, 0.01, t0=-5 * H)),
                               reference=dict(runs=runs('b', [1000, 1003, 700], 0.003, 0.01)), direction='higher', margin=3, prior_df=1),
    # A guest whose runs differ by ~3 % against a steady baseline (0.3 %): the guest's own spread, not the baseline's, sets the interval.
    'noisy_guest': dict(candidate=dict(runs=runs('g', [1010], 0.005, 0.01, t0=19 * H), history=runs('h', [970, 1030, 985], 0.005, 0.01, t0=1 * H)),
                        reference=dict(runs=runs('b', [1000, 1003, 998, 1002], 0.005, 0.01)), direction='higher', margin=3, prior_df=1),
    # Latency 0.36 ms in 6 runs against 0.35 ms in 6 runs, every trial printed alike at 0.01, margin 1 %, no prior: the
    # rounding bound alone gives the interval (it does not shrink with n) — and it reaches 0: never `worse`.
    'identical_rounded': dict(candidate=dict(runs=runs('g', [0.36] * 6, 0, 0.01)), reference=dict(runs=runs('b', [0.35] * 6, 0, 0.01)),
                              direction='lower', margin=1, prior_df=0),
    # One run of 6 identical trials against one run, with the prior: the run-to-run spread nobody measured is assumed, not ignored.
    'identical_rounded_prior': dict(candidate=dict(runs=runs('g', [0.36], 0, 0.01, n=6), history=[]), reference=dict(runs=runs('b', [0.35], 0, 0.01, n=6)),
                                    direction='lower', margin=1, prior_df=1),
}


def welch_check(case):
    a = [math.log(np.mean(r['values'])) for r in case['reference']['runs']]
    b = [math.log(np.mean(r['values'])) for r in case['candidate']['runs']]
    w = stats.ttest_ind(b, a, equal_var=False)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return dict(t=float(w.statistic), p=float(w.pvalue), df=float(df), log_ratio=float(np.mean(b) - np.mean(a)), se=float(math.sqrt(va + vb)))


def mixed_model_check():
    """REML τ² of log trials ~ 1 + (1 | run) for a balanced pool (5 runs × 4 trials), against the engine's method of moments."""
    rng = np.random.default_rng(22)
    pool_runs = []
    for i in range(5):
        level = 1000 * math.exp(0.02 * rng.standard_normal())
        pool_runs.append(dict(id=f'm{i + 1}', t=i * 6 * H, step=0.01,
                              values=[round(level * math.exp(0.005 * rng.standard_normal()), 2) for _ in range(4)]))
    # In time order low, high, low, …: a negative lag-one autocorrelation, so the engine's AR(1) correction stays off.
    ranked = sorted(pool_runs, key=lambda r: np.mean(r['values']))
    pool_runs = [ranked[i] for i in (0, 4, 1, 3, 2)]
    for i, r in enumerate(pool_runs): r['t'] = i * 6 * H
    df = pd.DataFrame([(r['id'], math.log(v)) for r in pool_runs for v in r['values']], columns=['run', 'y'])
    fit = smf.mixedlm('y ~ 1', df, groups=df['run']).fit(reml=True)
    tau2_reml = float(fit.cov_re.iloc[0, 0])
    logs = [[math.log(v) for v in r['values']] for r in pool_runs]
    anova = (4 * np.var([np.mean(l) for l in logs], ddof=1) - np.mean([np.var(l, ddof=1) for l in logs])) / 4
    assert abs(anova - tau2_reml) < 1e-4 * tau2_reml, (anova, tau2_reml)  # balanced: REML = ANOVA when positive
    return dict(runs=pool_runs, tau2_reml=tau2_reml, tau2_anova=float(anova), sigma2_reml=float(fit.scale))


out = {}
for name, case in CASES.items():
    out[name] = dict(case=case, expected=compare(case))
out['run_means_welch']['scipy_welch'] = welch_check(CASES['run_means_welch'])
out['mixed_model'] = mixed_model_check()
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
for name, v in out.items():
    print(name, json.dumps(v.get('expected', v.get('tau2_reml'))))
print('wrote', path)
