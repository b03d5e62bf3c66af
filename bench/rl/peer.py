"""Python torch peer of bench/rl: the same PPO as src/policy/rl/ppo.ts over the same environment logic as
src/policy/rl/environment.ts, the environment written in vectorised NumPy (one array operation per step over all
environments). The 2x64 tanh MLP policy (mean squashed by tanh, output layer scaled by 0.01 at the start, a
state-independent log standard deviation) and value network, GAE, the clipped objective with per-minibatch
advantage normalisation, gradient norm clipped at 0.5, one Adam over both networks; after every update the
policy's mean is rolled out over the validation rows (NumPy, row by row: the held position feeds the next
observation) and the best update is kept.

Usage: peer.py <dir>; reads config.json and the train_/val_ features, gap and hold arrays (float64) from <dir>;
prints one JSON line: the training's seconds and the selected validation P&L.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch"))
from peer_threads import set_threads  # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

d = sys.argv[1]
with open(os.path.join(d, "config.json")) as f:
    c = json.load(f)
set_threads(c["threads"])
torch.manual_seed(c["seed"])
W = c["width"]


def load(split, n):
    a = {k: np.fromfile(os.path.join(d, f"{split}_{k}.f64"), dtype="<f8") for k in ("features", "gap", "hold")}
    a["features"] = a["features"].reshape(n, W)
    return a


train = load("train", c["n_train"])
val = load("val", c["n_val"])
center = np.array(c["center"])
spread = np.array(c["spread"])
cost_buy, cost_sell = c["cost_buy"], c["cost_sell"]


def step_pnl(s, rows, held, target):
    change = target - held
    cost = np.where(change > 0, change * cost_buy, -change * cost_sell)
    return held * s["gap"][rows] + target * s["hold"][rows] - cost


class Env:
    def __init__(self, s, envs, episode, scale, rng):
        self.s, self.envs, self.episode, self.scale, self.rng = s, envs, episode, scale, rng
        self.n = s["features"].shape[0]
        self.row = np.zeros(envs, dtype=np.int64)
        self.left = np.zeros(envs, dtype=np.int64)
        self.held = np.zeros(envs)
        self.obs = np.zeros((envs, W + 1), dtype=np.float32)
        self.start(np.ones(envs, dtype=bool))

    def start(self, mask):
        k = int(mask.sum())
        self.row[mask] = np.floor(self.rng.random(k) * (self.n - self.episode)).astype(np.int64)
        self.left[mask] = self.episode
        self.held[mask] = 0
        self.observe(mask)

    def observe(self, mask):
        self.obs[mask, :W] = (self.s["features"][self.row[mask]] - center) / spread
        self.obs[mask, W] = self.held[mask]

    def step(self, actions):
        target = np.clip(actions, -1, 1)
        rewards = step_pnl(self.s, self.row, self.held, target) * self.scale
        self.held = target
        self.row += 1
        self.left -= 1
        done = self.left == 0
        self.observe(~done)
        self.start(done)
        return rewards, done


def mlp(inputs, hidden, squash):
    layers = [torch.nn.Linear(inputs, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh()]
    layers.append(torch.nn.Linear(hidden, 1))
    if squash:
        layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def val_pnl(actor):
    ws = [(m.weight.detach().double().numpy(), m.bias.detach().double().numpy()) for m in actor if isinstance(m, torch.nn.Linear)]
    feats = (val["features"] - center) / spread
    held, total = 0.0, 0.0
    obs = np.zeros(W + 1)
    for i in range(feats.shape[0]):
        obs[:W] = feats[i]
        obs[W] = held
        x = obs
        for w, b in ws:
            x = np.tanh(w @ x + b)
        target = min(1.0, max(-1.0, float(x[0])))
        total += float(step_pnl(val, i, held, target))
        held = target
    return total


t0 = time.perf_counter()
actor = mlp(W + 1, c["hidden"], True)
critic = mlp(W + 1, c["hidden"], False)
log_std = torch.nn.Parameter(torch.full((1,), float(c["log_std"])))
with torch.no_grad():
    actor[4].weight.mul_(0.01)
    actor[4].bias.mul_(0.01)
params = list(actor.parameters()) + [log_std] + list(critic.parameters())
opt = torch.optim.Adam(params, lr=c["lr"])
rng = np.random.default_rng(c["seed"])
env = Env(train, c["envs"], c["episode"], c["scale"], rng)
n, T = c["envs"], c["rollout"]
batch = n * T
mb = min(c["minibatch"], batch)
updates = math.ceil(c["steps"] / batch)
best = val_pnl(actor)
for u in range(1, updates + 1):
    std = math.exp(log_std.item())
    obs = np.zeros((T, n, W + 1), dtype=np.float32)
    acts = np.zeros((T, n), dtype=np.float32)
    logps = np.zeros((T, n), dtype=np.float32)
    values = np.zeros((T, n))
    rewards = np.zeros((T, n))
    dones = np.zeros((T, n), dtype=bool)
    for s in range(T):
        obs[s] = env.obs
        with torch.no_grad():
            x = torch.from_numpy(env.obs)
            mean = actor(x).numpy()[:, 0]
            value = critic(x).numpy()[:, 0]
        z = rng.standard_normal(n)
        a = mean + std * z
        acts[s] = a
        logps[s] = -0.5 * z * z - math.log(std) - HALF_LOG_2PI
        values[s] = value
        rewards[s], dones[s] = env.step(a)
    with torch.no_grad():
        last = critic(torch.from_numpy(env.obs)).numpy()[:, 0]
    adv = np.zeros((T, n))
    running = np.zeros(n)
    for s in range(T - 1, -1, -1):
        live = 1.0 - dones[s]
        nxt = last if s == T - 1 else values[s + 1]
        delta = rewards[s] + c["gamma"] * nxt * live - values[s]
        running = delta + c["gamma"] * c["lambda"] * live * running
        adv[s] = running
    ret = adv + values
    obs_t = torch.from_numpy(obs.reshape(batch, W + 1))
    act_t = torch.from_numpy(acts.reshape(batch, 1))
    logp_t = torch.from_numpy(logps.reshape(batch, 1))
    adv_t = torch.from_numpy(adv.reshape(batch, 1).astype(np.float32))
    ret_t = torch.from_numpy(ret.reshape(batch, 1).astype(np.float32))
    for epoch in range(c["epochs"]):
        perm = torch.from_numpy(rng.permutation(batch))
        for s in range(0, batch - mb + 1, mb):
            idx = perm[s : s + mb]
            x = obs_t[idx]
            a0 = adv_t[idx]
            a1 = (a0 - a0.mean()) / (a0.var().sqrt() + 1e-8)
            z = (act_t[idx] - actor(x)) / log_std.exp()
            logp = -0.5 * z * z - log_std - HALF_LOG_2PI
            ratio = (logp - logp_t[idx]).exp()
            surrogate = torch.minimum(ratio * a1, ratio.clamp(1 - c["clip"], 1 + c["clip"]) * a1)
            value_loss = (critic(x) - ret_t[idx]).square().mean()
            loss = -surrogate.mean() + c["value_coef"] * value_loss - c["entropy_coef"] * log_std.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 0.5)
            opt.step()
    best = max(best, val_pnl(actor))
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "val_pnl": best, "updates": updates}))
