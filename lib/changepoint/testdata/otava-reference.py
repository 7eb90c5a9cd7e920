# Regenerates otava-reference.json: runs Apache Otava's own compute_change_points on seeded
# series and records the change points and their p-values. Run with an Otava checkout on
# PYTHONPATH and numpy + scipy installed (Debian: python3-scipy):
#   PYTHONPATH=/path/to/otava python3 otava-reference.py > otava-reference.json
import json
import numpy as np
from otava.analysis import compute_change_points

rng = np.random.default_rng(20261129)
cases = []

def add(name, series, **opts):
    cps, _ = compute_change_points(list(series), **opts)
    cases.append({
        "name": name,
        "options": opts,
        "series": [round(float(v), 6) for v in series],
        "change_points": [
            {"index": int(c.index), "pvalue": float(c.stats.pvalue), "mean_before": float(c.stats.mean_1), "mean_after": float(c.stats.mean_2)}
            for c in cps
        ],
    })

# Rounded before analysis so both sides see exactly the same numbers.
def r(a):
    return np.round(a, 6)

add("noise only", r(rng.normal(100, 2, 200)), window_len=50, max_pvalue=0.001)
add("one 5% step", r(np.concatenate([rng.normal(100, 2, 80), rng.normal(105, 2, 80)])), window_len=50, max_pvalue=0.001)
add("two steps", r(np.concatenate([rng.normal(10, 0.3, 60), rng.normal(11, 0.3, 40), rng.normal(9.5, 0.3, 60)])), window_len=50, max_pvalue=0.001)
add("heavy tails + 3% step", r(np.concatenate([100 + 2 * rng.standard_t(3, 120), 103 + 2 * rng.standard_t(3, 120)])), window_len=30, max_pvalue=0.01, min_magnitude=0.01)
add("drift then step", r(np.concatenate([np.linspace(50, 52, 100) + rng.normal(0, 0.5, 100), 56 + rng.normal(0, 0.5, 50)])), window_len=50, max_pvalue=0.001)
add("short", r(rng.normal(1, 0.01, 6)), window_len=50, max_pvalue=0.001)
print(json.dumps(cases, indent=1))
