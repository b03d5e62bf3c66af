/**
 * bench/calibration: our isotonic and Platt calibrators against scikit-learn's on the same 1,000,000 synthetic scores
 * (seeded; BENCH_CALIBRATION_N for a smaller smoke run), each fitted and then applied to the scores it was fitted on.
 *
 * - isotonic: fitIsotonic + predictIsotonic vs IsotonicRegression(out_of_bounds='clip').fit + predict, on
 *   probabilities rounded to 6 decimals (as a model's float32 outputs are: many exact ties, so the tie rule is
 *   exercised at scale).
 * - Platt: fitPlatt + sigmoid vs scikit-learn's _SigmoidCalibration().fit + predict on the raw scores (logits).
 *   CalibratedClassifierCV(method='sigmoid' | 'isotonic', cv='prefit') around a model whose decision function is the
 *   score itself calls exactly these (_SigmoidCalibration runs _sigmoid_calibration, Platt's smoothed targets and
 *   BFGS); the peer times the calibrators directly, so the ratio is not diluted by the wrapper's bookkeeping, and
 *   runs the wrapper once, untimed, to show that it gives the same probabilities (ccv_*_maxdiff).
 *
 * Each side fits once untimed first (JIT warm-up; scikit-learn's first-call costs), then the median of BENCH_REPEATS.
 * Prints the max |ours - scikit-learn| of the fitted outputs (goal 1e-6) and one BENCH line: ratio = (our isotonic +
 * Platt seconds) / (scikit-learn's), with each method's figures as key=values.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fitIsotonic, predictIsotonic } from '../../src/inference/calibration/isotonic.js'
import { fitPlatt, plattProbability, type PlattFit } from '../../src/inference/calibration/platt.js'
import { benchLine, repoRoot, runPythonPeer, timeMedian } from '../lib.js'

const N = Number(process.env.BENCH_CALIBRATION_N ?? 1_000_000)
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5)

/** Seeded scores: logits s ~ N(0, 1.5^2), labels ~ Bernoulli(sigmoid(0.6 s - 0.3)), and the rounded sigmoid(s). */
function syntheticScores(n: number, seed: number): { s: Float64Array; x: Float64Array; y: Float64Array } {
  let a = seed >>> 0
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  const s = new Float64Array(n)
  const x = new Float64Array(n)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    s[i] = 1.5 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    y[i] = uniform() < plattProbability(0.6, -0.3, s[i]) ? 1 : 0
    x[i] = Math.round(plattProbability(1, 0, s[i]) * 1e6) / 1e6
  }
  return { s, x, y }
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`calibration bench: ${a.length} outputs vs ${b.length} from the peer`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

async function readF64(path: string): Promise<Float64Array> {
  // A copy: a Buffer may sit at an offset of a shared pool that is not a multiple of 8.
  return new Float64Array(new Uint8Array(await readFile(path)).buffer)
}

export default async function run(): Promise<void> {
  const { s, x, y } = syntheticScores(N, 42)

  const isotonic = (): { fitted: Float64Array; breakpoints: number } => {
    const curve = fitIsotonic(x, y)
    return { fitted: predictIsotonic(curve, x), breakpoints: curve.x.length }
  }
  const platt = (): { fitted: Float64Array; fit: PlattFit } => {
    const fit = fitPlatt(s, y)
    return { fitted: s.map((v) => plattProbability(fit.a, fit.b, v)), fit }
  }
  isotonic() // warm-up
  platt()
  const iso = await timeMedian(REPEATS, isotonic)
  const pl = await timeMedian(REPEATS, platt)

  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-calibration-'))
  try {
    await writeFile(join(dir, 's.f64'), new Uint8Array(s.buffer))
    await writeFile(join(dir, 'x.f64'), new Uint8Array(x.buffer))
    await writeFile(join(dir, 'y.f64'), new Uint8Array(y.buffer))
    const script = join(repoRoot, 'bench', 'calibration', 'peer.py')
    const peer = runPythonPeer(script, [dir, `${N}`, `${REPEATS}`])
    const isoDiff = maxAbsDiff(iso.result.fitted, await readF64(join(dir, 'isotonic.f64')))
    const plattDiff = maxAbsDiff(pl.result.fitted, await readF64(join(dir, 'platt.f64')))
    // scikit-learn's p = 1 / (1 + exp(A s + B)) is ours with a = -A, b = -B.
    const dA = Math.abs(pl.result.fit.a + (peer.A as number))
    const dB = Math.abs(pl.result.fit.b + (peer.B as number))
    const peerIso = peer.isotonic_seconds as number
    const peerPlatt = peer.platt_seconds as number
    process.stdout.write(
      `isotonic: ${iso.result.breakpoints} breakpoints, max |ours - sklearn| ${isoDiff.toExponential(2)}; ` +
        `ours ${iso.seconds.toFixed(3)} s, sklearn ${peerIso.toFixed(3)} s\n` +
        `platt: ours a=${pl.result.fit.a} b=${pl.result.fit.b} (${pl.result.fit.iterations} Newton iterations), ` +
        `sklearn a=${-(peer.A as number)} b=${-(peer.B as number)}; max |ours - sklearn| ${plattDiff.toExponential(2)}; ` +
        `ours ${pl.seconds.toFixed(3)} s, sklearn ${peerPlatt.toFixed(3)} s\n` +
        `CalibratedClassifierCV(cv='prefit') vs the calibrators it wraps: isotonic ${peer.ccv_isotonic_maxdiff}, ` +
        `sigmoid ${peer.ccv_platt_maxdiff}\n`,
    )
    process.stdout.write(
      benchLine('calibration', iso.seconds + pl.seconds, peerIso + peerPlatt, {
        n: N,
        iso_ratio: iso.seconds / peerIso,
        iso_ours_s: iso.seconds,
        iso_peer_s: peerIso,
        iso_maxdiff: isoDiff,
        platt_ratio: pl.seconds / peerPlatt,
        platt_ours_s: pl.seconds,
        platt_peer_s: peerPlatt,
        platt_maxdiff: plattDiff,
        platt_dA: dA,
        platt_dB: dB,
        ccv_iso_maxdiff: peer.ccv_isotonic_maxdiff as number,
        ccv_platt_maxdiff: peer.ccv_platt_maxdiff as number,
      }) + '\n',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
