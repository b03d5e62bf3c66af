"""pandas peer for bench/ingest: read_csv + time ordering/dedup + resample to the same ladder (median of N runs)."""
import json
import sys
import time

import pandas as pd

path, repeats = sys.argv[1], int(sys.argv[2])
ladder = ["1min", "5min", "10min", "15min", "20min", "25min", "30min", "45min", "60min"]
agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def run():
    df = pd.read_csv(path, parse_dates=["ts_utc"], index_col="ts_utc")
    df = df.sort_index(kind="stable")
    df = df[~df.index.duplicated(keep="first")]
    out = {}
    for rule in ladder:
        r = df.resample(rule, origin="epoch").agg(agg)
        r["count"] = df["close"].resample(rule, origin="epoch").count()
        out[rule] = r[r["count"] > 0]
    return df, out


times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    df, out = run()
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"seconds": times[len(times) // 2], "rows": len(df), "bars_1h": len(out["60min"])}))
