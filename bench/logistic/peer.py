"""scikit-learn peer of bench/logistic: LogisticRegression (lbfgs, multinomial) on the same data.

Usage: peer.py <x.f64> <y.f64> <n> <f> <C> <repeats>; prints one JSON line with the median fit seconds (after one untimed warm-up fit) and log-loss.
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

x_path, y_path, n, f, C, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
x = np.fromfile(x_path, dtype="<f8").reshape(n, f)
y = np.fromfile(y_path, dtype="<f8").astype(int)
LogisticRegression(C=C).fit(x, y)  # warm-up, untimed (as on our side)
times = []
warned = False
for _ in range(repeats):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        model = LogisticRegression(C=C).fit(x, y)
        times.append(time.perf_counter() - t0)
        warned = warned or any("converge" in str(w.message) for w in caught)
p = model.predict_proba(x)
log_loss = float(-np.mean(np.log(p[np.arange(n), y])))
obj = float(-np.sum(np.log(p[np.arange(n), y])) + 0.5 * np.sum(model.coef_ ** 2) / C)
print(json.dumps({"seconds": float(np.median(times)), "log_loss": log_loss, "objective": obj,
                  "iterations": int(model.n_iter_[0]), "convergence_warning": warned}))
