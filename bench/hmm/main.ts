/**
 * bench/hmm: Baum-Welch for a Gaussian HMM (3 states, 4 features, diagonal covariances, 200,000 rows; BENCH_HMM_N
 * for a smaller smoke run) against the same algorithm in vectorised NumPy (bench/hmm/peer.py) run by Debian's
 * python3. Both start from the identical initial parameters (ours, from a derived seed, handed to the peer in a
 * file) and run 50 fixed iterations (tol 0), then one forward pass for the final log-likelihood, which must agree
 * to 1e-6 relative.
 *
 * The data: seeded draws from a known 3-state HMM with persistent regimes of rising volatility. Ours: one short
 * untimed warm-up (JIT), then the median of BENCH_REPEATS (3) fits; the peer: the median of BENCH_HMM_PEER_REPEATS
 * (1) fits, since its row-by-row recursions take minutes at this size. Prints one BENCH line: ratio = ours / peer.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deriveSeed } from '../../src/core/seeds.js'
import { baumWelch, gaussianHmmToJson, initialParams, type GaussianHmm } from '../../src/models/regime/gaussian-hmm.js'
import { sampleHmm } from '../../src/models/regime/simulate.js'
import { benchLine, repoRoot, runPythonPeer, timeMedian } from '../lib.js'

const N = Number(process.env.BENCH_HMM_N ?? 200_000)
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)
const PEER_REPEATS = Number(process.env.BENCH_HMM_PEER_REPEATS ?? 1)
const K = 3
const D = 4
const ITERATIONS = 50
const MIN_VARIANCE = 1e-6

const truth: GaussianHmm = {
  states: K,
  dim: D,
  covariance: 'diag',
  startProb: Float64Array.from([0.5, 0.3, 0.2]),
  transmat: Float64Array.from([0.98, 0.015, 0.005, 0.02, 0.96, 0.02, 0.01, 0.04, 0.95]),
  means: Float64Array.from([0.05, 0.2, 0, 1, -0.1, 0.5, 0.3, 1.5, 0.2, 1.2, -0.4, 2.5]),
  covars: Float64Array.from([0.3, 0.2, 0.5, 0.4, 1, 0.8, 1.2, 0.9, 3, 2.5, 4, 2]),
}

export default async function run(): Promise<void> {
  const { x } = sampleHmm(truth, N, deriveSeed(42, 'bench', 'hmm', 'data'))
  const init = initialParams(x, N, D, K, 'diag', deriveSeed(42, 'bench', 'hmm', 'init'), MIN_VARIANCE)
  const options = { maxIter: ITERATIONS, tol: 0, minVariance: MIN_VARIANCE }
  baumWelch(x, N, D, init, { ...options, maxIter: 2 }) // warm-up
  const ours = await timeMedian(REPEATS, () => baumWelch(x, N, D, init, options))

  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-hmm-'))
  try {
    await writeFile(join(dir, 'x.f64'), new Uint8Array(x.buffer))
    await writeFile(join(dir, 'init.json'), JSON.stringify(gaussianHmmToJson(init)))
    const script = join(repoRoot, 'bench', 'hmm', 'peer.py')
    const args = [dir, N, D, K, ITERATIONS, MIN_VARIANCE, PEER_REPEATS].map(String)
    const peer = runPythonPeer(script, args)
    const fitted = JSON.parse(await readFile(join(dir, 'fit.json'), 'utf8')) as Record<string, unknown>
    const mine = gaussianHmmToJson(ours.result.model) as unknown as Record<string, unknown>
    let paramDiff = 0
    for (const key of ['start_prob', 'transmat', 'means', 'covars']) {
      const a = (mine[key] as unknown[]).flat(2) as number[]
      const b = (fitted[key] as unknown[]).flat(2) as number[]
      if (a.length !== b.length) throw new Error(`hmm bench: ${key} has ${a.length} values, the peer's ${b.length}`)
      for (let i = 0; i < a.length; i++) paramDiff = Math.max(paramDiff, Math.abs(a[i] - b[i]))
    }
    const llOurs = ours.result.logLikelihood
    const llPeer = peer.loglik as number
    const rel = Math.abs(llOurs - llPeer) / Math.abs(llPeer)
    const peerSeconds = peer.seconds as number
    process.stdout.write(
      `Baum-Welch, ${N} rows x ${D} features, ${K} states (diag), ${ITERATIONS} iterations from the same start:\n` +
        `  log-likelihood ours ${llOurs} numpy ${llPeer} (relative difference ${rel.toExponential(2)}, goal 1e-6); ` +
        `max |parameter difference| ${paramDiff.toExponential(2)}\n` +
        `  ours ${ours.seconds.toFixed(3)} s (median of ${REPEATS}), numpy ${peerSeconds.toFixed(3)} s ` +
        `(median of ${PEER_REPEATS}; ${(peer.seconds_per_iteration as number).toFixed(3)} s per pass)\n`,
    )
    if (!(rel <= 1e-6)) throw new Error(`hmm bench: log-likelihoods differ by ${rel} relative (goal 1e-6)`)
    process.stdout.write(
      benchLine('hmm', ours.seconds, peerSeconds, {
        n: N,
        d: D,
        k: K,
        iterations: ITERATIONS,
        loglik_ours: llOurs.toPrecision(12),
        loglik_peer: llPeer.toPrecision(12),
        loglik_rel: rel,
        param_maxdiff: paramDiff,
        ours_repeats: REPEATS,
        peer_repeats: PEER_REPEATS,
      }) + '\n',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
