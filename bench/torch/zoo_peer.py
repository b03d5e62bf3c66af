"""Peer for bench/torch zoo: one training epoch of the same PatchTST and N-HiTS in Python torch (Debian's python3).

Usage: zoo_peer.py <model> <n> <steps> <features> <batch> <threads,...>. Prints one JSON line of seconds per thread
count. The architectures mirror src/models/neural/patchtst.ts and nhits.ts layer for layer (same shapes, same ops).
"""
import json
import math
import sys
import time

import numpy as np
import torch
from peer_threads import set_threads

model_name = sys.argv[1]
n, steps, f, batch = (int(a) for a in sys.argv[2:6])
thread_counts = [int(t) for t in sys.argv[6].split(",")]

rng = np.random.default_rng(1)
base = rng.standard_normal((n + steps - 1, f)).astype(np.float32)
end = np.arange(n) + steps - 1
y = (rng.random(n) > 0.5).astype(np.float32)
offsets = np.arange(steps) - (steps - 1)
WARMUP_BATCHES = 4

# PatchTST: patch 16, stride 8, d_model 128, 8 heads, 3 layers, ff 256, head dim 16, causal attention.
PATCH, STRIDE, D, HEADS, LAYERS, FF, HEAD_DIM = 16, 8, 128, 8, 3, 256, 16


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(D)
        self.in_proj = torch.nn.Linear(D, 3 * D)
        self.out_proj = torch.nn.Linear(D, D)
        self.norm2 = torch.nn.LayerNorm(D)
        self.ff1 = torch.nn.Linear(D, FF)
        self.ff2 = torch.nn.Linear(FF, D)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.in_proj(self.norm1(x)).reshape(b, t, 3, HEADS, D // HEADS).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // HEADS)
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        a = torch.softmax(scores, -1) @ v
        x = x + self.out_proj(a.transpose(1, 2).reshape(b, t, D))
        return x + self.ff2(torch.nn.functional.gelu(self.ff1(self.norm2(x))))


class PatchTst(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.count = (steps - PATCH) // STRIDE + 1
        start = steps - PATCH - (self.count - 1) * STRIDE
        self.index = torch.tensor([start + i * STRIDE + j for i in range(self.count) for j in range(PATCH)])
        self.embed = torch.nn.Linear(PATCH, D)
        self.pos = torch.nn.Parameter(torch.empty(self.count, D).uniform_(-0.02, 0.02))
        self.layers = torch.nn.ModuleList(Encoder() for _ in range(LAYERS))
        self.proj = torch.nn.Linear(self.count * D, HEAD_DIM)
        self.head = torch.nn.Linear(f * HEAD_DIM, 1)

    def forward(self, x):
        b = x.shape[0]
        series = x.transpose(1, 2).reshape(b * f, steps)
        h = self.embed(series.index_select(1, self.index).reshape(b * f, self.count, PATCH)) + self.pos
        for layer in self.layers:
            h = layer(h)
        return self.head(self.proj(h.flatten(1)).reshape(b, f * HEAD_DIM))


# N-HiTS: pools 4/2/1, downsample 4/2/1, one block per stack, horizon 16, 256 units, 2 FC layers.
POOLS, DOWN, HORIZON, UNITS = [4, 2, 1], [4, 2, 1], 16, 256


def interpolation(src, dst):
    m = torch.zeros(src, dst)
    for j in range(dst):
        if src == 1:
            m[0, j] = 1
            continue
        pos = (src - 1) if dst == 1 else j * (src - 1) / (dst - 1)
        lo = min(int(math.floor(pos)), src - 2)
        w = pos - lo
        m[lo, j] += 1 - w
        m[lo + 1, j] += w
    return m


class Block(torch.nn.Module):
    def __init__(self, kernel, down):
        super().__init__()
        self.kernel = kernel
        pooled = math.ceil(steps / kernel)
        coefficients = max(1, HORIZON // down)
        self.fc = torch.nn.ModuleList([torch.nn.Linear(pooled, UNITS), torch.nn.Linear(UNITS, UNITS)])
        self.backcast = torch.nn.Linear(UNITS, steps)
        self.forecast = torch.nn.Linear(UNITS, coefficients)
        self.register_buffer("interp", interpolation(coefficients, HORIZON))

    def forward(self, x):
        s = x.shape[0]
        if self.kernel > 1:
            pad = math.ceil(steps / self.kernel) * self.kernel - steps
            if pad:
                x_in = torch.cat([x[:, :1].expand(s, pad), x], 1)
            else:
                x_in = x
            x_in = x_in.reshape(s, -1, self.kernel).max(-1).values
        else:
            x_in = x
        h = x_in
        for fc in self.fc:
            h = torch.relu(fc(h))
        return self.backcast(h), self.forecast(h) @ self.interp


class Nhits(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(Block(k, d) for k, d in zip(POOLS, DOWN))
        self.head = torch.nn.Linear(f * HORIZON, 1)

    def forward(self, x):
        b = x.shape[0]
        residual = x.transpose(1, 2).reshape(b * f, steps)
        total = None
        for block in self.blocks:
            back, fore = block(residual)
            residual = residual - back
            total = fore if total is None else total + fore
        return self.head(total.reshape(b, f * HORIZON))


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


make = {"patchtst": PatchTst, "nhits": Nhits}[model_name]
out = {}
for threads in thread_counts:
    set_threads(threads)
    epoch(make(), WARMUP_BATCHES * batch)  # one-time initialisation outside the clock, as on our side
    torch.manual_seed(0)
    out[f"{model_name}_{threads}t"] = epoch(make())
print(json.dumps(out))
