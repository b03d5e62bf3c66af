"""pandas peer for bench/features: RSI, MACD, ATR, Bollinger and rolling mean/std of log returns on nine timeframes,
each aligned to the 1m grid from the minute its bar closes (merge_asof on the bar's last minute). Prints one JSON line."""
import json
import sys
import time

import numpy as np
import pandas as pd

LADDER = [1, 5, 10, 15, 20, 25, 30, 45, 60]


def load(path):
    df = pd.read_csv(path)
    ts = pd.to_datetime(df["ts_utc"], utc=True)
    df.index = ts
    df = df.drop(columns=["ts_utc"])
    # drop rows that step back in time (the repeated hour in the SPX file), as the TypeScript side does
    t = df.index.asi8
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = t[1:] > np.maximum.accumulate(t)[:-1]
    return df[keep]


def indicators(b):
    c, h, l = b["close"], b["high"], b["low"]
    out = pd.DataFrame(index=b.index)
    d = c.diff()
    gain = d.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-d.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    out["rsi"] = 100 * gain / (gain + loss)
    fast = c.ewm(span=12, adjust=False).mean()
    slow = c.ewm(span=26, adjust=False).mean()
    macd = (fast - slow) / c
    sig = macd.ewm(span=9, adjust=False).mean()
    out["macd"], out["macd_signal"], out["macd_hist"] = macd, sig, macd - sig
    pc = c.shift(1)
    tr = pd.concat([h - l, (h - pc).abs(), (l - pc).abs()], axis=1).max(axis=1)
    out["atr"] = tr.ewm(alpha=1 / 14, adjust=False).mean() / c
    m = c.rolling(20).mean()
    s = c.rolling(20).std(ddof=0)
    out["bb_width"] = 4 * s / m
    out["bb_pctb"] = (c - (m - 2 * s)) / (4 * s)
    r = np.log(c).diff()
    out["ret_mean"] = r.rolling(30).mean()
    out["ret_std"] = r.rolling(30).std(ddof=0)
    return out


def compute(df):
    grid = pd.DataFrame({"ts": df.index})
    parts = []
    for minutes in LADDER:
        if minutes == 1:
            b = df
        else:
            b = df.resample(f"{minutes}min", label="left", closed="left").agg(
                {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
            ).dropna(subset=["close"])
        ind = indicators(b)
        # a bar may be seen from its last minute's row on (bucket open + tf - 1m), never earlier
        ind["ts"] = ind.index + pd.Timedelta(minutes=minutes - 1)
        ind = ind.add_suffix(f"_{minutes}m").rename(columns={f"ts_{minutes}m": "ts"})
        parts.append(pd.merge_asof(grid, ind, on="ts", direction="backward").drop(columns=["ts"]))
    return pd.concat(parts, axis=1)


def main():
    path, repeats = sys.argv[1], int(sys.argv[2])
    df = load(path)
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        feats = compute(df)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    half = len(feats) // 2
    check = {k: float(feats[k].iloc[half:].mean()) for k in ["bb_width_60m", "ret_std_15m", "bb_width_1m"]}
    print(json.dumps({"seconds": float(np.median(times)), "cpu_seconds": float(np.median(cpu)), "rows": len(feats), "features": feats.shape[1], "check": check}))


main()
