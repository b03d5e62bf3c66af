/**
 * bench/torch: one training epoch of an LSTM (hidden 64) and a 3-layer TCN (64 channels, kernel 3, dilations
 * 1-2-4) on 20,000 windows x 60 steps x 8 features, batch 256, binary output, through our full fit path (batches
 * gathered from a window view, Adam), against the same architectures in Python torch at equal thread counts.
 * The main ratio is the LSTM at 1 thread; the other configurations are extra key=values.
 */
import { join } from 'node:path'
import { benchLine, repoRoot, runPythonPeer } from '../lib.js'
import { torch, torchUnavailableReason } from '../../src/engines/torch/index.js'
import type { WindowTensorView } from '../../src/features/views/types.js'
import { createModel } from '../../src/models/registry.js'

const N = 20_000
const STEPS = 60
const F = 8
const BATCH = 256
const THREADS = [1, 2]

function data(): { x: WindowTensorView; y: Float64Array } {
  let s = 1
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s + 0.5) / 4294967296
  }
  const base = Float32Array.from(
    { length: (N + STEPS - 1) * F },
    () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  )
  const end = Int32Array.from({ length: N }, (_, i) => i + STEPS - 1)
  const y = Float64Array.from({ length: N }, () => (u() > 0.5 ? 1 : 0))
  return { x: { kind: 'window_tensor', n: N, steps: STEPS, f: F, base, end, names: [] }, y }
}

const MODELS = {
  lstm: { hidden: 64, layers: 1 },
  tcn: { channels: 64, kernel: 3, dilations: [1, 2, 4] },
} as const

export default async function run(): Promise<void> {
  const reason = torchUnavailableReason()
  if (reason) throw new Error(`bench torch needs the libtorch addon: ${reason}`)
  const train = data()
  const ours: Record<string, number> = {}
  for (const threads of THREADS) {
    for (const [name, arch] of Object.entries(MODELS)) {
      const m = createModel(
        name,
        { ...arch, epochs: 1, batchSize: BATCH, lr: 1e-3, clipNorm: 0, patience: 0 },
        { kind: 'binary' },
      )
      const t0 = process.hrtime.bigint()
      await m.fit(train, undefined, { seed: 0, threads })
      ours[`${name}_${threads}t`] = Number(process.hrtime.bigint() - t0) / 1e9
    }
  }
  torch().setNumThreads(1)
  const peer = runPythonPeer(
    join(repoRoot, 'bench', 'torch', 'peer.py'),
    [N, STEPS, F, BATCH, THREADS.join(',')].map(String),
  ) as Record<string, number>
  const extra: Record<string, number | string> = {}
  for (const k of Object.keys(ours)) {
    if (k === 'lstm_1t') continue
    extra[`${k}_ratio`] = ours[k] / peer[k]
    extra[`${k}_ours_s`] = ours[k]
    extra[`${k}_peer_s`] = peer[k]
  }
  extra.libtorch = torch().libtorchVersion
  console.log(benchLine('torch', ours.lstm_1t, peer.lstm_1t, extra))
}
