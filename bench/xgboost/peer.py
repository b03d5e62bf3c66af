"""Peer for bench/xgboost: python3-xgboost trains on the same float32 matrix with the same parameters.

usage: peer.py <data.f32> <labels.f32> <rows> <cols> <rounds>
Stays alive and reads one command per stdin line, so the caller can alternate repeats (ours, peer, ours, ...):
  train <nthread>          time DMatrix construction + xgb.train once; prints {"seconds", "cpu_seconds", "version"}
  predict <preds_out.f32>  write the last trained booster's predictions on the training matrix; prints {"ok": true}
  quit
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

data_path, label_path, rows, cols, rounds = sys.argv[1:6]
rows, cols, rounds = int(rows), int(cols), int(rounds)
x = np.fromfile(data_path, dtype=np.float32).reshape(rows, cols)
y = np.fromfile(label_path, dtype=np.float32)


def params(nthread):
    return {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": 6,
        "eta": 0.1,
        "max_bin": 256,
        "seed": 7,
        "nthread": nthread,
        "verbosity": 0,
    }


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


booster = None
nthread_last = 1
for line in sys.stdin:
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == "train":
        nthread_last = int(cmd[1])
        booster = None  # drop the previous model before the clock starts, as ours frees it
        t0, c0 = time.perf_counter(), time.process_time()
        dtrain = xgb.DMatrix(x, label=y, missing=np.nan, nthread=nthread_last)
        booster = xgb.train(params(nthread_last), dtrain, num_boost_round=rounds)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        del dtrain  # ours frees its DMatrix right after training
        reply({"seconds": seconds, "cpu_seconds": cpu, "version": xgb.__version__})
    elif cmd[0] == "predict":
        dm = xgb.DMatrix(x, missing=np.nan, nthread=nthread_last)
        booster.predict(dm).astype(np.float32).tofile(cmd[1])
        reply({"ok": True})
    elif cmd[0] == "quit":
        break
