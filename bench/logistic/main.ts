/**
 * bench/logistic: our multinomial logistic regression (L-BFGS) against scikit-learn's LogisticRegression (lbfgs)
 * with the same C on the same planted-signal data (100k x 50, 3 classes), each with its default tolerance.
 * Each side fits once untimed first (our JIT compiles the kernels during the first fit or two, which cost ~1.5x a
 * warm fit; scikit-learn's first fit pays its own first-call costs), then the median of BENCH_REPEATS fits.
 * Prints fit-time ratio and the log-loss difference (must be within 1e-3).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogistic, logisticParams, type LinearClassifier } from '../../src/models/tabular/logistic.js'
import { benchLine, repoRoot, runPythonPeer, timeMedian } from '../lib.js'

const N = 100_000
const F = 50
const K = 3
const C = 1
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5)
/** Both sides use the machine's cores: scikit-learn through OpenBLAS threads, ours through worker threads. */
const THREADS = availableParallelism()

/** Deterministic planted-signal data: features N(0, 1) with mixed scales, class = argmax(x B + Gumbel noise). */
function plantedData(seed: number): { x: Float64Array; y: Float64Array } {
  let s = seed >>> 0
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const beta = Float64Array.from({ length: F * K }, () => normal() * 0.3)
  const x = new Float64Array(N * F)
  const y = new Float64Array(N)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < F; j++) x[i * F + j] = normal()
    let best = -Infinity
    for (let k = 0; k < K; k++) {
      let z = -Math.log(-Math.log(uniform()))
      for (let j = 0; j < F; j++) z += beta[j * K + k] * x[i * F + j]
      if (z > best) {
        best = z
        y[i] = k
      }
    }
  }
  return { x, y }
}

export default async function run(): Promise<void> {
  const { x, y } = plantedData(42)
  const view = {
    kind: 'feature_matrix' as const,
    n: N,
    f: F,
    data: x,
    names: Array.from({ length: F }, (_, j) => `f${j}`),
  }
  // standardize: false gives scikit-learn's exact objective (penalty on raw coefficients).
  const params = logisticParams.parse({ C, standardize: false })
  const fit = async (): Promise<LinearClassifier> => {
    const m = createLogistic(params, { kind: 'multiclass', classes: K })
    await m.fit({ x: view, y }, undefined, { seed: 1, threads: THREADS })
    return m
  }
  await fit() // warm-up
  const { seconds: ours, result: model } = await timeMedian(REPEATS, fit)
  const p = model.predict(view).p!
  let ll = 0
  for (let i = 0; i < N; i++) ll -= Math.log(p[i * K + y[i]])
  ll /= N

  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-logistic-'))
  try {
    await writeFile(join(dir, 'x.f64'), new Uint8Array(x.buffer))
    await writeFile(join(dir, 'y.f64'), new Uint8Array(y.buffer))
    const script = join(repoRoot, 'bench', 'logistic', 'peer.py')
    const peer = runPythonPeer(script, [join(dir, 'x.f64'), join(dir, 'y.f64'), `${N}`, `${F}`, `${C}`, `${REPEATS}`])
    const peerLl = peer.log_loss as number
    process.stdout.write(
      `ours: ${model.report!.iterations} iterations, log-loss ${ll}; sklearn: ${peer.iterations} iterations, ` +
        `log-loss ${peerLl}${peer.convergence_warning ? ' (ConvergenceWarning)' : ''}\n`,
    )
    process.stdout.write(
      benchLine('logistic', ours, peer.seconds as number, {
        n: N,
        f: F,
        classes: K,
        logloss_diff: Math.abs(ll - peerLl),
        threads: THREADS,
        ours_iter: model.report!.iterations,
        ours_evals: model.report!.evaluations ?? 0,
        peer_iter: peer.iterations as number,
      }) + '\n',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
