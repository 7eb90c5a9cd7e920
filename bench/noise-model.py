# Independent reference for bench/noise-model.test.ts: the moment fit of bench/noise-model.ts
# written out with numpy/scipy, and a Gaussian maximum-likelihood fit of the same model (an AR(1)
# run effect plus independent trial noise, the whole covariance matrix of all trials) as a check
# that the moments describe the recording. Run: python3 bench/noise-model.py bench/data/runs-busy.json
import json, sys
import numpy as np
from scipy import optimize, stats

d = json.load(open(sys.argv[1]))
runs = d['runs']
K = len(runs[0]['trials'])
y = np.log(np.array([[t['events_per_sec'] for t in r['trials']] for r in runs]))
arm = np.array([r['arm'] for r in runs])
m = y.mean(1)
mu = {a: m[arm == a].mean() for a in sorted(set(arm))}
c = m - np.array([mu[a] for a in arm])
s2 = y.var(1, ddof=1).mean()
resid = (y - m[:, None]).ravel()
k4r = stats.moment(resid, 4) - 3 * stats.moment(resid, 2) ** 2
k4e = k4r * K**4 / ((K - 1) ** 4 + (K - 1))
V = np.mean(c**2)
acov = np.mean(c[1:] * c[:-1])
tau2 = V - s2 / K
phi = acov / tau2
w = c[1:] - phi * c[:-1]
k4w = stats.moment(w, 4) - 3 * stats.moment(w, 2) ** 2
k4eta = k4w - k4e * (1 + phi**4) / K**3
kurt_trial = k4e / s2**2
kurt_run = k4eta / (tau2 * (1 - phi**2)) ** 2
print(json.dumps(dict(sigma=float(np.sqrt(s2)), tau=float(np.sqrt(tau2)), phi=float(phi), kurtTrial=float(kurt_trial), kurtRun=float(kurt_run), armMeans={k: float(v) for k, v in mu.items()})))

# Gaussian ML: y = mu_arm + u_r + e_rk, u AR(1) (stationary variance tau2, lag correlation phi), e iid s2.
n = len(runs)
Z = np.kron(np.eye(n), np.ones((K, 1)))
X = np.kron(np.array([[1.0 if a == b else 0.0 for b in sorted(set(arm))] for a in arm]), np.ones((K, 1)))
Y = y.ravel()
lags = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
def nll(p):
    ls, lt, ap = p
    ph = np.tanh(ap)
    S = np.exp(2 * ls) * np.eye(n * K) + np.exp(2 * lt) * Z @ (ph**lags) @ Z.T
    L = np.linalg.cholesky(S)
    Li = np.linalg.solve(L, np.column_stack([X, Y]))
    Xw, Yw = Li[:, :-1], Li[:, -1]
    beta = np.linalg.lstsq(Xw, Yw, rcond=None)[0]
    r = Yw - Xw @ beta
    return np.sum(np.log(np.diag(L))) + 0.5 * r @ r
res = optimize.minimize(nll, [np.log(np.sqrt(s2)), np.log(np.sqrt(tau2)), np.arctanh(min(phi, 0.95))], method='Nelder-Mead', options=dict(xatol=1e-6, fatol=1e-8, maxiter=4000))
ls, lt, ap = res.x
print(json.dumps(dict(ml_sigma=float(np.exp(ls)), ml_tau=float(np.exp(lt)), ml_phi=float(np.tanh(ap)), converged=bool(res.success))))
