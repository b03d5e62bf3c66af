"""scikit-learn peer of bench/calibration: IsotonicRegression(out_of_bounds='clip') and Platt's sigmoid
(_SigmoidCalibration, what CalibratedClassifierCV(method='sigmoid') fits) on the same scores.

Usage: peer.py <dir> <n> <repeats>; reads s.f64 (logits), x.f64 (rounded probabilities), y.f64 (0/1 labels) from
<dir>, writes the fitted outputs to isotonic.f64 and platt.f64 there, and prints one JSON line with the median
seconds of each method (fit + predict on the fitted scores, after one untimed warm-up), Platt's A and B, and how far
CalibratedClassifierCV(cv='prefit') around a score-passthrough model is from the calibrators it wraps.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression

d, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = np.fromfile(os.path.join(d, "s.f64"), dtype="<f8")
x = np.fromfile(os.path.join(d, "x.f64"), dtype="<f8")
y = np.fromfile(os.path.join(d, "y.f64"), dtype="<f8")
assert s.shape == x.shape == y.shape == (n,)


def isotonic():
    return IsotonicRegression(out_of_bounds="clip").fit(x, y).predict(x)


def platt():
    cal = _SigmoidCalibration().fit(s, y)
    return cal, cal.predict(s)


def median_seconds(fn):
    fn()  # warm-up, untimed (as on our side)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


iso_s, iso_fitted = median_seconds(isotonic)
platt_s, (cal, platt_fitted) = median_seconds(platt)
iso_fitted.astype("<f8").tofile(os.path.join(d, "isotonic.f64"))
platt_fitted.astype("<f8").tofile(os.path.join(d, "platt.f64"))


class Scores(ClassifierMixin, BaseEstimator):
    """A fitted binary 'model' whose decision function is its one input column: the scores themselves."""

    def fit(self, X, y=None):
        self.classes_ = np.array([0.0, 1.0])
        return self

    def decision_function(self, X):
        return np.asarray(X)[:, 0]


def wrapped(method, scores):
    ccv = CalibratedClassifierCV(Scores().fit(None), method=method, cv="prefit").fit(scores[:, None], y)
    return ccv.predict_proba(scores[:, None])[:, 1]


print(json.dumps({
    "isotonic_seconds": iso_s,
    "platt_seconds": platt_s,
    "A": float(cal.a_),
    "B": float(cal.b_),
    "ccv_isotonic_maxdiff": float(np.max(np.abs(wrapped("isotonic", x) - iso_fitted))),
    "ccv_platt_maxdiff": float(np.max(np.abs(wrapped("sigmoid", s) - platt_fitted))),
}))
