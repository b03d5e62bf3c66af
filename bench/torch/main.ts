/**
 * bench/torch: one training epoch of an LSTM (hidden 64) and a 3-layer TCN (64 channels, kernel 3, dilations
 * 1-2-4) on 20,000 windows x 60 steps x 8 features, batch 256, binary output, through our full fit path (batches
 * gathered from a window view, Adam), against the same architectures in Python torch at equal thread counts.
 * The main ratio is the LSTM at 1 thread; the other configurations are extra key=values. Each side runs a short
 * warm-up fit first, repeats alternate between the sides, and medians are reported (this 2-core machine is shared).
 * Both sides size OpenBLAS's pool to the thread count as well (bench/torch/peer_threads.py). The peer runs with
 * its libraries' defaults, and also on the native runtime our engines set up (src/engines/native-runtime.ts:
 * OpenBLAS's OpenMP build or else a short OpenMP spin, and OpenBLAS kernels chosen by instruction set where its CPU
 * detection fell back), reported as *_peer_same_env_s and *_same_env_ratio: how much of a ratio is that setup
 * rather than the code. Python torch users get the same setup with LD_PRELOAD and OPENBLAS_CORETYPE.
 */
import { join } from 'node:path'
import { alternate, benchLine, median, ourRuntimeDiffers, repoRoot, runPythonPeer, runtimeFigures } from '../lib.js'
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

/** Batches of a short fit run before each timed one (both sides): one-time initialisation stays off the clock. */
const WARMUP_BATCHES = 4

async function warmUp(train: ReturnType<typeof data>, name: string, arch: object, threads: number): Promise<void> {
  const { x, y } = train
  const rows = WARMUP_BATCHES * BATCH
  const m = createModel(
    name,
    { ...arch, epochs: 1, batchSize: BATCH, lr: 1e-3, clipNorm: 0, patience: 0 },
    { kind: 'binary' },
  )
  await m.fit({ x: { ...x, n: rows, end: x.end.subarray(0, rows) }, y: y.subarray(0, rows) }, undefined, {
    seed: 0,
    threads,
  })
}

const MODELS = {
  lstm: { hidden: 64, layers: 1 },
  tcn: { channels: 64, kernel: 3, dilations: [1, 2, 4] },
} as const

/**
 * Timed epochs per configuration and side; sides alternate (ours, peer, peer, ours, ...) and medians are reported.
 * Five, not three: on this shared machine one epoch in three was seen ~50% slow (on either side), which moved a
 * median of three.
 */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5)

export default async function run(): Promise<void> {
  const reason = torchUnavailableReason()
  if (reason) throw new Error(`bench torch needs the libtorch addon: ${reason}`)
  const train = data()
  const ours: Record<string, number[]> = {}
  const peer: Record<string, number[]> = {}
  const peerSameEnv: Record<string, number[]> = {}
  const push = (to: Record<string, number[]>, k: string, v: number): void => {
    ;(to[k] ??= []).push(v)
  }
  for (const threads of THREADS) {
    const runOurs = async (): Promise<void> => {
      for (const [name, arch] of Object.entries(MODELS)) {
        const m = createModel(
          name,
          { ...arch, epochs: 1, batchSize: BATCH, lr: 1e-3, clipNorm: 0, patience: 0 },
          { kind: 'binary' },
        )
        await warmUp(train, name, arch, threads)
        const t0 = process.hrtime.bigint()
        await m.fit(train, undefined, { seed: 0, threads })
        push(ours, `${name}_${threads}t`, Number(process.hrtime.bigint() - t0) / 1e9)
      }
    }
    const runPeer = (): void => {
      const script = join(repoRoot, 'bench', 'torch', 'peer.py')
      const args = [N, STEPS, F, BATCH, threads].map(String)
      const r = runPythonPeer(script, args)
      for (const name of Object.keys(MODELS)) push(peer, `${name}_${threads}t`, r[`${name}_${threads}t`] as number)
      if (ourRuntimeDiffers()) {
        const same = runPythonPeer(script, args, true)
        for (const name of Object.keys(MODELS)) {
          push(peerSameEnv, `${name}_${threads}t`, same[`${name}_${threads}t`] as number)
        }
      }
    }
    await alternate(REPEATS, runOurs, runPeer)
  }
  torch().setNumThreads(1)
  const secs = (xs: number[]): string => xs.map((v) => v.toFixed(2)).join(',')
  for (const k of Object.keys(ours)) {
    const same = peerSameEnv[k] ? ` peer_same_env=[${secs(peerSameEnv[k])}]` : ''
    console.log(`torch ${k}: ours=[${secs(ours[k])}] peer=[${secs(peer[k])}]${same}`)
  }
  const extra: Record<string, number | string> = { repeats: REPEATS }
  for (const k of Object.keys(ours)) {
    if (k === 'lstm_1t') continue
    extra[`${k}_ratio`] = median(ours[k]) / median(peer[k])
    extra[`${k}_ours_s`] = median(ours[k])
    extra[`${k}_peer_s`] = median(peer[k])
  }
  for (const k of Object.keys(peerSameEnv)) {
    extra[`${k}_same_env_ratio`] = median(ours[k]) / median(peerSameEnv[k])
    extra[`${k}_peer_same_env_s`] = median(peerSameEnv[k])
  }
  Object.assign(extra, runtimeFigures())
  extra.libtorch = torch().libtorchVersion
  console.log(benchLine('torch', median(ours.lstm_1t), median(peer.lstm_1t), extra))
}
