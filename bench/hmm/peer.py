"""NumPy peer of bench/hmm: Baum-Welch for a Gaussian HMM with diagonal covariances, the same algorithm as
src/models/regime/gaussian-hmm.ts (scaled forward-backward, densities relative to their row maximum, two-pass
variances floored at min_variance, a state with no mass keeps its mean and variances), written in vectorised NumPy:
emissions, the transition counts and the M-step are array operations over all rows; the forward and backward
recursions run one row per step (each step depends on the previous one), on NumPy vectors of length K.
hmmlearn is not packaged by Debian, and its recursions are Cython, not NumPy.

Usage: peer.py <dir> <n> <d> <k> <iterations> <min_variance> <repeats>; reads x.f64 (row-major n x d) and
init.json (start_prob, transmat, means, covars) from <dir>, runs <iterations> EM iterations from that start, then
one more forward pass for the final log-likelihood; writes the fitted parameters to fit.json there and prints one
JSON line: the median seconds (fit + final forward pass), the final log-likelihood and seconds per iteration.
"""
import json
import os
import sys
import time

import numpy as np

d_, n, d, K, iters, min_var, repeats = sys.argv[1:8]
n, d, K, iters, min_var, repeats = int(n), int(d), int(K), int(iters), float(min_var), int(repeats)
X = np.fromfile(os.path.join(d_, "x.f64"), dtype="<f8").reshape(n, d)
with open(os.path.join(d_, "init.json")) as f:
    init = json.load(f)
LOG_2PI = np.log(2 * np.pi)


def forward(pi, A, mu, var):
    lognorm = -0.5 * (d * LOG_2PI + np.log(var).sum(axis=1))
    logB = np.empty((n, K))
    for k in range(K):
        z = X - mu[k]
        logB[:, k] = lognorm[k] - (z * z * (0.5 / var[k])).sum(axis=1)
    mx = logB.max(axis=1)
    B = np.exp(logB - mx[:, None])
    alpha = np.empty((n, K))
    s = np.empty(n)
    a = pi * B[0]
    s[0] = a.sum()
    alpha[0] = a / s[0]
    for t in range(1, n):
        a = (alpha[t - 1] @ A) * B[t]
        st = a.sum()
        s[t] = st
        alpha[t] = a / st
    return np.log(s).sum() + mx.sum(), B, alpha, s


def em_step(pi, A, mu, var):
    _, B, alpha, s = forward(pi, A, mu, var)
    W = B / s[:, None]
    beta = np.empty((n, K))
    beta[n - 1] = 1.0
    for t in range(n - 2, -1, -1):
        beta[t] = A @ (W[t + 1] * beta[t + 1])
    gamma = alpha * beta
    xi = A * (alpha[:-1].T @ (W[1:] * beta[1:]))
    pi_new = gamma[0] / gamma[0].sum()
    rows = xi.sum(axis=1, keepdims=True)
    A_new = np.where(rows > 0, xi / np.where(rows > 0, rows, 1), A)
    mass = gamma.sum(axis=0)
    alive = mass > 1e-10
    safe = np.where(alive, mass, 1)[:, None]
    mu_new = np.where(alive[:, None], (gamma.T @ X) / safe, mu)
    var_new = np.empty_like(var)
    for k in range(K):
        z = X - mu_new[k]
        var_new[k] = (gamma[:, k : k + 1] * z * z).sum(axis=0)
    var_new = np.where(alive[:, None], np.maximum(var_new / safe, min_var), var)
    return pi_new, A_new, mu_new, var_new


def fit():
    params = (
        np.array(init["start_prob"]),
        np.array(init["transmat"]),
        np.array(init["means"]),
        np.array(init["covars"]),
    )
    for _ in range(iters):
        params = em_step(*params)
    return params, forward(*params)[0]


times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    params, ll = fit()
    times.append(time.perf_counter() - t0)
pi, A, mu, var = params
with open(os.path.join(d_, "fit.json"), "w") as f:
    json.dump({"start_prob": pi.tolist(), "transmat": A.tolist(), "means": mu.tolist(), "covars": var.tolist()}, f)
seconds = float(np.median(times))
print(json.dumps({"seconds": seconds, "loglik": float(ll), "seconds_per_iteration": seconds / (iters + 1)}))
