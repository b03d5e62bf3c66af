/**
 * Bootstrap ensembles for conformal regression (jackknife+-after-bootstrap, EnbPI): the bags the caller fits its B
 * models on, and each training row's leave-one-out aggregate, i.e. the ensemble of the models whose bag left that row
 * out. Those models never saw the row, so its residual is held out without refitting anything.
 *
 * Bags are seeded per model (deriveSeed(seed, 'bootstrap', b)), so bag b is the same whatever B is. For time series,
 * moving blocks of L consecutive rows keep the serial dependence inside a bag (Kunsch, 1989); rows near a block's
 * edges still neighbour left-out rows, so with overlapping label spans a purge is the caller's to apply.
 */
import { seededRandom } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'

export type Aggregate = 'mean' | 'median'

/** One bag: the training rows drawn (with repetition, in draw order) and which rows it holds at least once. */
export interface Bag {
  readonly rows: Int32Array
  /** 1 when the row is in the bag, per training row. */
  readonly inBag: Uint8Array
}

/** One fitted member of a bootstrap ensemble, as conformal methods need it. */
export interface BootstrapMember {
  /** Nonzero when the training row was in the member's bag. */
  readonly inBag: Uint8Array
  /** The member's predictions at the n training rows. */
  readonly atTrain: Float64Array
}

function checkCount(what: string, v: number, min: number): void {
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`bootstrap: ${what} is ${v}, not an integer >= ${min}`)
}

function bagOf(rows: Int32Array, n: number): Bag {
  const inBag = new Uint8Array(n)
  for (const r of rows) inBag[r] = 1
  return { rows, inBag }
}

/** B bags of n rows drawn uniformly with repetition from n training rows. */
export function bootstrapBags(n: number, models: number, seed: number): Bag[] {
  checkCount('the number of rows', n, 1)
  checkCount('the number of models', models, 1)
  return Array.from({ length: models }, (_, b) => {
    const u = seededRandom(deriveSeed(seed, 'bootstrap', b))
    return bagOf(
      Int32Array.from({ length: n }, () => Math.floor(u() * n)),
      n,
    )
  })
}

/**
 * B moving-block bags for time series: blocks of `block` consecutive rows with uniform starts in [0, n - block],
 * concatenated and cut at n rows. Block 1 is the ordinary bootstrap.
 */
export function blockBootstrapBags(n: number, models: number, block: number, seed: number): Bag[] {
  checkCount('the number of rows', n, 1)
  checkCount('the number of models', models, 1)
  checkCount('the block length', block, 1)
  if (block > n) throw new Error(`bootstrap: block length ${block} is longer than the ${n} rows`)
  const starts = n - block + 1
  return Array.from({ length: models }, (_, b) => {
    const u = seededRandom(deriveSeed(seed, 'block-bootstrap', block, b))
    const rows = new Int32Array(n)
    for (let k = 0; k < n; k += block) {
      const start = Math.floor(u() * starts)
      for (let j = 0; j < block && k + j < n; j++) rows[k + j] = start + j
    }
    return bagOf(rows, n)
  })
}

/** Mean or median of `v[0..count)`; `v` is reordered by the median. */
export function aggregate(v: Float64Array, count: number, how: Aggregate): number {
  if (how === 'mean') {
    let s = 0
    for (let k = 0; k < count; k++) s += v[k]
    return s / count
  }
  const sorted = v.subarray(0, count).sort()
  const mid = count >> 1
  return count % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Checks the members' shapes and predictions at the n training rows; errors name the model and the row. */
export function checkMembers(members: readonly BootstrapMember[], n: number): void {
  if (members.length === 0) throw new Error('bootstrap: no models')
  members.forEach((m, b) => {
    if (m.inBag.length !== n) throw new Error(`bootstrap: model ${b}'s bag mask has ${m.inBag.length} rows, not ${n}`)
    if (m.atTrain.length !== n)
      throw new Error(`bootstrap: model ${b} has ${m.atTrain.length} predictions at the ${n} training rows`)
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(m.atTrain[i]))
        throw new Error(`bootstrap: model ${b}'s prediction at training row ${i} is ${m.atTrain[i]}`)
    }
  })
}

/** Per training row, the models whose bag left it out (row-major lists), and the rows no model left out. */
export interface LeftOut {
  /** The training rows with at least one model that left them out, in increasing order. */
  readonly rows: Int32Array
  /** For rows[k], the models left-out[offsets[k] .. offsets[k + 1]). */
  readonly offsets: Int32Array
  readonly models: Int32Array
  /** Training rows that were in every bag: no held-out prediction exists for them, so they are left out. */
  readonly inEveryBag: number
}

export function leftOut(members: readonly BootstrapMember[], n: number): LeftOut {
  const rows: number[] = []
  const offsets: number[] = [0]
  const models: number[] = []
  for (let i = 0; i < n; i++) {
    const before = models.length
    members.forEach((m, b) => {
      if (m.inBag[i] === 0) models.push(b)
    })
    if (models.length > before) {
      rows.push(i)
      offsets.push(models.length)
    }
  }
  return {
    rows: Int32Array.from(rows),
    offsets: Int32Array.from(offsets),
    models: Int32Array.from(models),
    inEveryBag: n - rows.length,
  }
}

/**
 * The leave-one-out aggregate at each kept training row: the mean or median of the predictions at row i of the
 * models whose bag left row i out. Aligned with `out.rows`.
 */
export function looAggregatesAtTrain(members: readonly BootstrapMember[], out: LeftOut, how: Aggregate): Float64Array {
  const buf = new Float64Array(members.length)
  return Float64Array.from(out.rows, (i, k) => {
    let c = 0
    for (let j = out.offsets[k]; j < out.offsets[k + 1]; j++) buf[c++] = members[out.models[j]].atTrain[i]
    return aggregate(buf, c, how)
  })
}
