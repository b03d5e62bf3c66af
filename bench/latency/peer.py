"""scikit-learn peer of bench/latency: single-row predict_proba latency of the exported models.

Usage: peer.py <export_logistic.json> <export_gaussian_nb.json> <calls>
Prints one JSON line: median seconds per call for logistic, Gaussian NB and a 5-member weighted soft vote.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB


def load_linear(path):
    j = json.load(open(path))
    m = LogisticRegression()
    m.coef_ = np.array(j["coefficients"])
    m.intercept_ = np.array(j["intercepts"])
    m.classes_ = np.array(j["classes"])
    return m, np.array(j["test_inputs"])


def load_nb(path):
    j = json.load(open(path))
    m = GaussianNB()
    m.theta_ = np.array(j["theta"])
    m.var_ = np.array(j["var"])
    m.class_prior_ = np.exp(np.array(j["class_log_prior"]))
    m.classes_ = np.array(j["classes"])
    return m


def per_call(fn, rows, calls, repeats=7):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(calls):
            fn(rows[i % len(rows)])
        times.append((time.perf_counter() - t0) / calls)
    return float(np.median(times))


lr, x = load_linear(sys.argv[1])
nb = load_nb(sys.argv[2])
calls = int(sys.argv[3])
rows = [x[i : i + 1] for i in range(len(x))]
members = [lr, nb, lr, nb, lr]
weights = np.array([0.3, 0.2, 0.2, 0.2, 0.1])


def vote(r):
    return sum(w * m.predict_proba(r) for w, m in zip(weights, members))


print(json.dumps({
    "seconds": per_call(lr.predict_proba, rows, calls),
    "nb_seconds": per_call(nb.predict_proba, rows, calls),
    "ensemble_seconds": per_call(vote, rows, calls // 5),
}))
