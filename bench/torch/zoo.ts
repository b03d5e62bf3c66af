/**
 * bench torch_patchtst / torch_nhits: one training epoch through our full fit path (batches gathered from a window
 * view, Adam, binary head) against the same architecture in Python torch (bench/torch/zoo_peer.py) at equal thread
 * counts. PatchTST: context 512, 4 features, patch 16 / stride 8, d_model 128, 8 heads, 3 layers, ff 256, causal
 * attention. N-HiTS: context 512, 4 features, pools 4/2/1, horizon 16, 256 units. The main ratio is 1 thread.
 */
import { join } from 'node:path'
import { benchLine, repoRoot, runPythonPeer } from '../lib.js'
import { torch, torchUnavailableReason } from '../../src/engines/torch/index.js'
import type { WindowTensorView } from '../../src/features/views/types.js'
import { createModel } from '../../src/models/registry.js'

const STEPS = 512
const F = 4
const THREADS = [1, 2]

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

async function bench(name: keyof typeof CONFIGS): Promise<void> {
  const reason = torchUnavailableReason()
  if (reason) throw new Error(`bench torch_${name} needs the libtorch addon: ${reason}`)
  const c = CONFIGS[name]
  const train = data(c.n)
  const ours: Record<string, number> = {}
  for (const threads of THREADS) {
    const m = createModel(
      name,
      { ...c.arch, epochs: 1, batchSize: c.batch, lr: 1e-3, clipNorm: 0, patience: 0 },
      { kind: 'binary' },
    )
    const t0 = process.hrtime.bigint()
    await m.fit(train, undefined, { seed: 0, threads })
    ours[`${threads}t`] = Number(process.hrtime.bigint() - t0) / 1e9
  }
  torch().setNumThreads(1)
  const peer = runPythonPeer(
    join(repoRoot, 'bench', 'torch', 'zoo_peer.py'),
    [name, c.n, STEPS, F, c.batch, THREADS.join(',')].map(String),
  ) as Record<string, number>
  const extra: Record<string, number | string> = { n: c.n, steps: STEPS, features: F, batch: c.batch }
  for (const threads of THREADS.slice(1)) {
    extra[`t${threads}_ratio`] = ours[`${threads}t`] / peer[`${name}_${threads}t`]
    extra[`t${threads}_ours_s`] = ours[`${threads}t`]
    extra[`t${threads}_peer_s`] = peer[`${name}_${threads}t`]
  }
  extra.libtorch = torch().libtorchVersion
  console.log(benchLine(`torch_${name}`, ours['1t'], peer[`${name}_1t`], extra))
}

export const patchtstBench = (): Promise<void> => bench('patchtst')
export const nhitsBench = (): Promise<void> => bench('nhits')
