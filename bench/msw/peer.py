"""statsmodels peer of bench/msw: a 2-regime Markov switching model with switching mean and variance, fitted by
statsmodels' MarkovRegression(y, k_regimes=2, trend='c', switching_variance=True) with its default fit (a few EM
steps, then BFGS on the likelihood; steady-state initial regime probabilities), no covariance of the parameters
(cov_type='none': ours computes none either). Debian's python3-statsmodels.

Usage: peer.py <dir> <n> <repeats>; reads r.f64 (n returns) and ours.json (our fitted intercepts, variances and
transition matrix, regimes ordered by variance) from <dir>. Prints one JSON line: the median fit seconds, the
log-likelihood res.llf, whether the optimiser converged, the fitted parameters with the regimes ordered by variance
(transition matrix row-stochastic: [i][j] = P(next = j | now = i)), and statsmodels' own log-likelihood of our
parameters (model.loglike, steady-state start), a cross-check of our likelihood code.
"""
import json
import os
import sys
import time

import numpy as np
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

d_, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
y = np.fromfile(os.path.join(d_, "r.f64"), dtype="<f8")
assert y.shape == (n,), y.shape
with open(os.path.join(d_, "ours.json")) as f:
    ours = json.load(f)

times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    model = MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True)
    res = model.fit(disp=False, cov_type="none")
    times.append(time.perf_counter() - t0)

names = model.param_names
p = dict(zip(names, res.params))
A = model.regime_transition_matrix(res.params)[:, :, 0].T  # statsmodels: [i, j] = P(s_t = i | s_{t-1} = j)
order = np.argsort([p["sigma2[0]"], p["sigma2[1]"]], kind="stable")
fit = {
    "intercepts": [p[f"const[{k}]"] for k in order],
    "variances": [p[f"sigma2[{k}]"] for k in order],
    "transmat": [[float(A[i, j]) for j in order] for i in order],
}

# our parameters in statsmodels' order: p[0->0], p[1->0], const[0], const[1], sigma2[0], sigma2[1]
theirs_of_ours = np.array(
    [
        ours["transmat"][0][0],
        ours["transmat"][1][0],
        ours["intercepts"][0],
        ours["intercepts"][1],
        ours["variances"][0],
        ours["variances"][1],
    ]
)
print(
    json.dumps(
        {
            "seconds": float(np.median(times)),
            "loglik": float(res.llf),
            "converged": bool(res.mle_retvals.get("converged", False)) if res.mle_retvals else False,
            "fit": fit,
            "loglik_of_ours": float(model.loglike(theirs_of_ours)),
        }
    )
)
