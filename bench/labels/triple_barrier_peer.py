"""Vectorized numpy peer for `npm run bench -- labels`: the same triple barrier (next-open entry, gap fills at the
open, stop first when both barriers sit inside one bar), one vectorized pass per horizon step over all rows.
Reads float64 columns written by the TypeScript side; prints one JSON line."""
import json
import sys
import time

import numpy as np


def triple_barrier(o, h, l, c, vol, k_up, k_down, horizon):
    n = len(c)
    m = n - horizon
    entry = o[1 : m + 1]
    v = vol[:m]
    ok = ~np.isnan(v)
    up = entry + k_up * v
    dn = entry - k_down * v
    barrier = np.zeros(m, dtype=np.int8)  # 0 open, 1 upper, 2 lower, 3 vertical
    t1 = np.full(m, -1, dtype=np.int64)
    exit_px = np.full(m, np.nan)
    rows = np.arange(m)
    for k in range(1, horizon + 1):
        j = rows + k
        live = ok & (barrier == 0)
        hu = h[j] >= up
        hd = l[j] <= dn
        oj = o[j]
        gap_up = oj >= up
        gap_dn = oj <= dn
        is_up = live & (gap_up | (hu & ~hd & ~gap_dn))
        is_dn = live & ~is_up & (hu | hd)
        barrier[is_up] = 1
        barrier[is_dn] = 2
        t1[is_up | is_dn] = j[is_up | is_dn]
        exit_px[is_up] = np.maximum(oj[is_up], up[is_up])
        exit_px[is_dn] = np.minimum(oj[is_dn], dn[is_dn])
    vert = ok & (barrier == 0)
    barrier[vert] = 3
    t1[vert] = rows[vert] + horizon
    exit_px[vert] = c[rows[vert] + horizon]
    ret = (exit_px - entry) / entry
    label = np.where(barrier == 1, 1, np.where(barrier == 2, -1, np.sign(ret))).astype(np.int8)
    label[~ok] = 0
    return barrier, t1, ret, label


def main():
    path, n, horizon, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cols = np.fromfile(path, dtype=np.float64).reshape(5, n)
    o, h, l, c, vol = (np.ascontiguousarray(x) for x in cols)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        barrier, t1, ret, label = triple_barrier(o, h, l, c, vol, 2.0, 2.0, horizon)
        times.append(time.perf_counter() - t0)
    counts = [int((barrier == b).sum()) for b in (1, 2, 3)]
    checksum = float(np.nansum(ret))
    print(json.dumps({"seconds": float(np.median(times)), "counts": counts, "checksum": checksum, "t1sum": int(t1[t1 >= 0].sum())}))


main()
