"""Peer for bench/xgboost: python3-xgboost trains on the same float32 matrix with the same parameters.

usage: peer.py <data.f32> <labels.f32> <rows> <cols> <rounds> <nthread> <repeats> <preds_out.f32>
Times DMatrix construction + xgb.train (as ours does), writes the last run's predictions, prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

data_path, label_path, rows, cols, rounds, nthread, repeats, out_path = sys.argv[1:9]
rows, cols, rounds, nthread, repeats = int(rows), int(cols), int(rounds), int(nthread), int(repeats)
x = np.fromfile(data_path, dtype=np.float32).reshape(rows, cols)
y = np.fromfile(label_path, dtype=np.float32)
params = {
    "objective": "binary:logistic",
    "tree_method": "hist",
    "max_depth": 6,
    "eta": 0.1,
    "max_bin": 256,
    "seed": 7,
    "nthread": nthread,
    "verbosity": 0,
}
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, missing=np.nan, nthread=nthread)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    times.append(time.perf_counter() - t0)
pred = booster.predict(dtrain).astype(np.float32)
pred.tofile(out_path)
times.sort()
print(json.dumps({"seconds": times[len(times) // 2], "version": xgb.__version__}))
