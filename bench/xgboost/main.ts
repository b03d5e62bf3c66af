/**
 * bench/xgboost: XGBoost training through our koffi binding against python3-xgboost (same libxgboost build family),
 * on identical data: 200k x 50 synthetic binary (5% missing), 200 rounds, depth 6, hist, at nthread 2 and 1.
 * Both sides time DMatrix construction + training; predictions must be identical (max abs diff reported).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { trainBooster, withDMatrix, xgb } from '../../src/engines/xgboost/index.js'
import { benchLine, runPythonPeer, timeMedian } from '../lib.js'

const N = Number(process.env.BENCH_XGB_ROWS ?? 200_000)
const F = 50
const ROUNDS = 200
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)
/** Thread counts to compare, e.g. BENCH_XGB_THREADS=1 (default: 2 and 1). */
const THREADS = (process.env.BENCH_XGB_THREADS ?? '2,1').split(',').map(Number)

/** Deterministic data: label from a nonlinear function of 5 features plus noise; 5% of values missing. */
function syntheticData(seed: number): { x: Float32Array; y: Float32Array } {
  let s = seed >>> 0
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const x = new Float32Array(N * F)
  const y = new Float32Array(N)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < F; j++) x[i * F + j] = normal()
    const r = i * F
    const z = x[r] * x[r + 1] + Math.sin(2 * x[r + 2]) - 0.5 * x[r + 3] + (x[r + 4] > 0.5 ? 1 : 0) + 0.7 * normal()
    y[i] = z > 0.3 ? 1 : 0
    for (let j = 0; j < F; j++) if (uniform() < 0.05) x[r + j] = NaN
  }
  return { x, y }
}

function params(nthread: number) {
  return {
    objective: 'binary:logistic',
    tree_method: 'hist',
    max_depth: 6,
    eta: 0.1,
    max_bin: 256,
    seed: 7,
    nthread,
    verbosity: 0,
  }
}

export default async function run(): Promise<void> {
  const { x, y } = syntheticData(42)
  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-xgb-'))
  const peer = fileURLToPath(new URL('../../../bench/xgboost/peer.py', import.meta.url))
  try {
    await writeFile(join(dir, 'x.f32'), x)
    await writeFile(join(dir, 'y.f32'), y)
    for (const nthread of THREADS) {
      // Timed: DMatrix construction + training, as the peer times it; prediction happens after the clock stops.
      let booster: ReturnType<typeof trainBooster>['booster'] | undefined
      const { seconds: ours } = await timeMedian(REPEATS, () => {
        booster?.free()
        booster = withDMatrix(
          { data: x, rows: N, cols: F, label: y, nthread },
          (dm) => trainBooster({ params: params(nthread), rounds: ROUNDS, train: dm }).booster,
        )
      })
      const trained = booster!
      const preds = withDMatrix({ data: x, rows: N, cols: F, nthread }, (dm) => trained.predict(dm).values)
      trained.free()
      const predPath = join(dir, `peer-${nthread}.f32`)
      const res = runPythonPeer(peer, [
        join(dir, 'x.f32'),
        join(dir, 'y.f32'),
        String(N),
        String(F),
        String(ROUNDS),
        String(nthread),
        String(REPEATS),
        predPath,
      ])
      const theirs = new Float32Array((await readFile(predPath)).buffer.slice(0))
      let maxDiff = 0
      for (let i = 0; i < N; i++) maxDiff = Math.max(maxDiff, Math.abs(preds[i] - theirs[i]))
      console.log(
        benchLine(`xgboost_nthread${nthread}`, ours, Number(res.seconds), {
          rows: N,
          cols: F,
          rounds: ROUNDS,
          max_abs_diff: maxDiff,
          identical: maxDiff === 0 ? 'yes' : 'no',
          lib: xgb().version,
          peer: String(res.version),
        }),
      )
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
