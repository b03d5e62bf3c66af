"""Peer for bench/torch: one training epoch of the same LSTM and TCN in Python torch (Debian's python3).

Usage: peer.py <n> <steps> <features> <batch> <threads,...>. Prints one JSON line of seconds per model/thread count.
"""
import json
import sys
import time

import numpy as np
import torch
from peer_threads import set_threads

n, steps, f, batch = (int(a) for a in sys.argv[1:5])
thread_counts = [int(t) for t in sys.argv[5].split(",")]

rng = np.random.default_rng(1)
base = rng.standard_normal((n + steps - 1, f)).astype(np.float32)
end = np.arange(n) + steps - 1
y = (rng.random(n) > 0.5).astype(np.float32)
offsets = np.arange(steps) - (steps - 1)
WARMUP_BATCHES = 4


class Lstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(f, 64, batch_first=True)
        self.head = torch.nn.Linear(64, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


class Tcn(torch.nn.Module):
    """3 causal dilated convs (64 channels, kernel 3, dilations 1-2-4), ReLU, residual when widths match."""

    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv1d(f if i == 0 else 64, 64, 3, dilation=d) for i, d in enumerate([1, 2, 4])
        )
        self.head = torch.nn.Linear(64, 1)

    def forward(self, x):
        h = x.transpose(1, 2)
        for i, conv in enumerate(self.convs):
            out = torch.relu(conv(torch.nn.functional.pad(h, (2 * conv.dilation[0], 0))))
            h = out if i == 0 and f != 64 else h + out
        return self.head(h[:, :, -1])


def epoch(model, rows=n):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    perm = rng.permutation(n)[:rows]
    t0 = time.perf_counter()
    for s in range(0, rows, batch):
        idx = perm[s : s + batch]
        x = torch.from_numpy(base[end[idx, None] + offsets])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(-1), torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


out = {}
for threads in thread_counts:
    set_threads(threads)
    for name, make in (("lstm", Lstm), ("tcn", Tcn)):
        epoch(make(), WARMUP_BATCHES * batch)  # one-time initialisation outside the clock, as on our side
        torch.manual_seed(0)
        out[f"{name}_{threads}t"] = epoch(make())
print(json.dumps(out))
