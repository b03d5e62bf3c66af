/**
 * Conformal prediction sets for classification: from calibrated-or-not class probabilities, a set of classes that
 * holds the true one with probability at least `coverage` on exchangeable data. Each method scores how badly a class
 * fits a row; the conformal quantile (./quantile.ts) of the true classes' scores on calibration rows becomes the
 * threshold, and a new row's set is every class scoring at most that.
 *
 * - lac (Sadinle, Lei and Wasserman, 2019): score 1 - p_c. Smallest sets on average; a row can get an empty set.
 * - aps (Romano, Sesia and Candes, 2020): the probability mass of the classes ranked above c, plus u * p_c, u uniform
 *   (randomised, exact coverage) or 1 (conservative). Sets adapt to how sure the model is on each row.
 * - raps (Angelopoulos et al., 2021): aps plus lambda * max(0, rank - k_reg), which keeps the long tail of unlikely
 *   classes out of the sets.
 *
 * Randomisation draws are seeded, so sets are reproducible: one per row in row order from a stream, or (`draw:
 * 'row_hash'`) a hash of the row's own probabilities, which gives a row the same draw wherever it is scored (in a run,
 * by mlf predict, live), whatever rows come before it.
 */
import { seededRandom } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { conformalQuantile } from './quantile.js'

export type SetMethod = 'lac' | 'aps' | 'raps'

export interface SetOptions {
  readonly method: SetMethod
  readonly coverage: number
  /** aps/raps: draw u uniformly (exact coverage) instead of u = 1 (at least the coverage). Default true. */
  readonly randomized?: boolean
  /** Seed of the u draws. */
  readonly seed?: number
  /** raps: penalty per rank beyond kReg. */
  readonly lambda?: number
  /** raps: ranks free of penalty. */
  readonly kReg?: number
  /** Source of each row's u: a seeded stream in row order (default), or a seeded hash of the row's probabilities. */
  readonly draw?: 'stream' | 'row_hash'
}

/** The fitted threshold: a new row's set is every class whose score is at most `threshold` (+Infinity: all). */
export interface ConformalSets {
  readonly method: SetMethod
  readonly coverage: number
  readonly threshold: number
  readonly classes: number
  readonly n: number
}

function checkRows(p: Float64Array, k: number, what: string): number {
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`conformal sets: ${k} classes; need at least 2`)
  if (p.length % k !== 0) throw new Error(`conformal sets: ${p.length} probabilities are not whole rows of ${k}`)
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1 + 1e-9))
      throw new Error(`conformal sets: ${what} row ${Math.floor(i / k)} has probability ${p[i]}`)
  }
  return p.length / k
}

/** Scores of every class of row i under `opts`, written into `out` (k). */
function rowScores(p: Float64Array, i: number, k: number, u: number, opts: SetOptions, out: Float64Array): void {
  if (opts.method === 'lac') {
    for (let c = 0; c < k; c++) out[c] = 1 - p[i * k + c]
    return
  }
  // Classes by probability, highest first (ties by class index, so the order is deterministic).
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => p[i * k + b] - p[i * k + a] || a - b)
  const lambda = opts.method === 'raps' ? (opts.lambda ?? 0.01) : 0
  const kReg = opts.kReg ?? 1
  let above = 0
  for (let r = 0; r < k; r++) {
    const c = order[r]
    const pc = p[i * k + c]
    out[c] = above + u * pc + lambda * Math.max(0, r + 1 - kReg)
    above += pc
  }
}

type Draw = (p: Float64Array, i: number, k: number) => number

/** The u of row i: uniform draws from a stream of their own for calibration and for new rows, a row hash, or 1. */
function draws(opts: SetOptions, stream: 'calibration' | 'sets'): Draw {
  const randomized = opts.method !== 'lac' && (opts.randomized ?? true)
  if (!randomized) return () => 1
  if (opts.draw === 'row_hash') {
    const seed = deriveSeed(opts.seed ?? 0, 'conformal', 'row_hash')
    return (p, i, k) => rowHashUniform(p, i, k, seed)
  }
  const next = seededRandom(deriveSeed(opts.seed ?? 0, 'conformal', stream))
  return () => next()
}

const hashFloat = new Float64Array(1)
const hashWords = new Uint32Array(hashFloat.buffer)

/** A uniform [0, 1) from the bits of row i's k probabilities and a seed (murmur3-style mixing, fmix32 finish). */
export function rowHashUniform(p: Float64Array, i: number, k: number, seed: number): number {
  let h = seed >>> 0
  for (let c = 0; c < k; c++) {
    hashFloat[0] = p[i * k + c]
    for (let w = 0; w < 2; w++) {
      let x = Math.imul(hashWords[w], 0xcc9e2d51)
      x = Math.imul((x << 15) | (x >>> 17), 0x1b873593)
      h ^= x
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64
    }
  }
  h ^= k * 8
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296
}

/** Fit the threshold on calibration probabilities (row-major (n, k)) and their true classes. */
export function fitConformalSets(p: Float64Array, y: Float64Array, k: number, opts: SetOptions): ConformalSets {
  const n = checkRows(p, k, 'calibration')
  if (y.length !== n) throw new Error(`conformal sets: ${y.length} targets for ${n} rows`)
  if (
    opts.method === 'raps' &&
    !((opts.lambda ?? 0.01) >= 0 && Number.isInteger(opts.kReg ?? 1) && (opts.kReg ?? 1) >= 0)
  )
    throw new Error('conformal sets: raps needs lambda >= 0 and an integer k_reg >= 0')
  const u = draws(opts, 'calibration')
  const scores = new Float64Array(n)
  const row = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const yi = y[i]
    if (!(Number.isInteger(yi) && yi >= 0 && yi < k))
      throw new Error(`conformal sets: target ${yi} at row ${i} is not a class 0..${k - 1}`)
    rowScores(p, i, k, u(p, i, k), opts, row)
    scores[i] = row[yi]
  }
  return {
    method: opts.method,
    coverage: opts.coverage,
    threshold: conformalQuantile(scores, opts.coverage),
    classes: k,
    n,
  }
}

/** Prediction sets for new rows: row-major (m, k) membership (1 = in the set). */
export function predictionSets(sets: ConformalSets, p: Float64Array, opts: SetOptions): Uint8Array {
  const k = sets.classes
  const m = checkRows(p, k, 'new')
  const u = draws(opts, 'sets')
  const out = new Uint8Array(m * k)
  const row = new Float64Array(k)
  for (let i = 0; i < m; i++) {
    rowScores(p, i, k, u(p, i, k), opts, row)
    for (let c = 0; c < k; c++) out[i * k + c] = row[c] <= sets.threshold ? 1 : 0
  }
  return out
}

/** Share of rows whose set holds the true class, and the mean set size: what the report shows. */
export function setCoverage(member: Uint8Array, y: Float64Array, k: number): { coverage: number; meanSize: number } {
  const m = y.length
  if (m === 0) return { coverage: 0, meanSize: 0 }
  let hit = 0
  let size = 0
  for (let i = 0; i < m; i++) {
    if (member[i * k + y[i]]) hit++
    for (let c = 0; c < k; c++) size += member[i * k + c]
  }
  return { coverage: hit / m, meanSize: size / m }
}
