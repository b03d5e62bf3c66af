/**
 * bench torch_patchtst / torch_nhits: one training epoch through our full fit path (batches gathered from a window
 * view, Adam, binary head) against the same architecture in Python torch (bench/torch/zoo_peer.py) at equal thread
 * counts. PatchTST: context 512, 4 features, patch 16 / stride 8, d_model 128, 8 heads, 3 layers, ff 256, causal
 * attention. N-HiTS: context 512, 4 features, pools 4/2/1, horizon 16, 256 units. The main ratio is 1 thread. Each
 * side runs a short warm-up fit first, repeats alternate between the sides, and medians are reported. As in
 * bench/torch/main.ts the peer also runs on our native runtime (*_same_env_ratio): how much of a ratio is that setup.
 */
import { join } from 'node:path'
import { alternate, benchLine, median, ourRuntimeDiffers, repoRoot, runPythonPeer, runtimeFigures } from '../lib.js'
import { torch, torchUnavailableReason } from '../../src/engines/torch/index.js'
import type { WindowTensorView } from '../../src/features/views/types.js'
import { createModel } from '../../src/models/registry.js'

const STEPS = 512
const F = 4
const THREADS = [1, 2]
const WARMUP_BATCHES = 4

function data(n: number): { x: WindowTensorView; y: Float64Array } {
  let s = 1
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s + 0.5) / 4294967296
  }
  const base = Float32Array.from(
    { length: (n + STEPS - 1) * F },
    () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  )
  const end = Int32Array.from({ length: n }, (_, i) => i + STEPS - 1)
  const y = Float64Array.from({ length: n }, () => (u() > 0.5 ? 1 : 0))
  return { x: { kind: 'window_tensor', n, steps: STEPS, f: F, base, end, names: [] }, y }
}

const CONFIGS = {
  patchtst: {
    n: 1024,
    batch: 32,
    arch: { patchLen: 16, stride: 8, dModel: 128, heads: 8, layers: 3, ff: 256, headDim: 16 },
  },
  nhits: {
    n: 8192,
    batch: 256,
    arch: { poolKernels: [4, 2, 1], downsample: [4, 2, 1], horizon: 16, units: 256, fcLayers: 2, blocksPerStack: 1 },
  },
} as const

/** Timed epochs per thread count and side; sides alternate (ours, peer, peer, ours, ...) and medians are reported. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)

async function bench(name: keyof typeof CONFIGS): Promise<void> {
  const reason = torchUnavailableReason()
  if (reason) throw new Error(`bench torch_${name} needs the libtorch addon: ${reason}`)
  const c = CONFIGS[name]
  const train = data(c.n)
  const params = { ...c.arch, epochs: 1, batchSize: c.batch, lr: 1e-3, clipNorm: 0, patience: 0 }
  const ours: Record<number, number[]> = {}
  const peer: Record<number, number[]> = {}
  const peerSameEnv: Record<number, number[]> = {}
  for (const threads of THREADS) {
    ours[threads] = []
    peer[threads] = []
    peerSameEnv[threads] = []
    const runOurs = async (): Promise<void> => {
      // A short fit first (the peer does the same): one-time initialisation stays off the clock.
      const rows = WARMUP_BATCHES * c.batch
      const warm = { x: { ...train.x, n: rows, end: train.x.end.subarray(0, rows) }, y: train.y.subarray(0, rows) }
      await createModel(name, params, { kind: 'binary' }).fit(warm, undefined, { seed: 0, threads })
      const m = createModel(name, params, { kind: 'binary' })
      const t0 = process.hrtime.bigint()
      await m.fit(train, undefined, { seed: 0, threads })
      ours[threads].push(Number(process.hrtime.bigint() - t0) / 1e9)
    }
    const runPeer = (): void => {
      const script = join(repoRoot, 'bench', 'torch', 'zoo_peer.py')
      const args = [name, c.n, STEPS, F, c.batch, threads].map(String)
      peer[threads].push(runPythonPeer(script, args)[`${name}_${threads}t`] as number)
      if (ourRuntimeDiffers())
        peerSameEnv[threads].push(runPythonPeer(script, args, true)[`${name}_${threads}t`] as number)
    }
    await alternate(REPEATS, runOurs, runPeer)
  }
  torch().setNumThreads(1)
  const secs = (xs: number[]): string => xs.map((v) => v.toFixed(2)).join(',')
  for (const t of THREADS) {
    const same = peerSameEnv[t].length > 0 ? ` peer_same_env=[${secs(peerSameEnv[t])}]` : ''
    console.log(`torch_${name} ${t}t: ours=[${secs(ours[t])}] peer=[${secs(peer[t])}]${same}`)
  }
  const extra: Record<string, number | string> = { n: c.n, steps: STEPS, features: F, batch: c.batch, repeats: REPEATS }
  for (const threads of THREADS.slice(1)) {
    extra[`t${threads}_ratio`] = median(ours[threads]) / median(peer[threads])
    extra[`t${threads}_ours_s`] = median(ours[threads])
    extra[`t${threads}_peer_s`] = median(peer[threads])
  }
  for (const threads of THREADS) {
    if (peerSameEnv[threads].length === 0) continue
    extra[`t${threads}_same_env_ratio`] = median(ours[threads]) / median(peerSameEnv[threads])
    extra[`t${threads}_peer_same_env_s`] = median(peerSameEnv[threads])
  }
  Object.assign(extra, runtimeFigures())
  extra.libtorch = torch().libtorchVersion
  console.log(benchLine(`torch_${name}`, median(ours[1]), median(peer[1]), extra))
}

export const patchtstBench = (): Promise<void> => bench('patchtst')
export const nhitsBench = (): Promise<void> => bench('nhits')
