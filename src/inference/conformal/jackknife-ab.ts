/**
 * Jackknife+-after-bootstrap (Kim, Xu and Barber, 2020): jackknife+ without n refits. The caller fits B models on
 * bootstrap bags (./bootstrap.ts); training row i's leave-one-out predictor is the aggregate (mean or median) of the
 * models whose bag left i out, its residual R_i = |y_i - mu_-i(x_i)|, and a new row's interval is jackknife+'s: the
 * floor(alpha (n + 1))-th smallest of mu_-i(x) - R_i and the ceil((1 - alpha)(n + 1))-th smallest of mu_-i(x) + R_i,
 * with the shared rank rule (./quantile.ts) through cvPlusIntervals (every kept row its own fold).
 *
 * Guarantee: coverage >= 1 - 2 alpha in the worst case (about 1 - alpha in practice); the paper's proof draws B at
 * random, a fixed B is the usual practice and what this takes.
 *
 * A training row in every bag has no held-out prediction: it is left out of the calibration set and counted
 * (`inEveryBag`); with B models a row is in all bags with probability about (1 - 1/e)^B, so a handful of models
 * already makes this rare. None left at all is an error.
 */
import {
  aggregate,
  checkMembers,
  leftOut,
  looAggregatesAtTrain,
  type Aggregate,
  type BootstrapMember,
} from './bootstrap.js'
import { cvPlusIntervals, type Interval } from './regression.js'

export interface JabMember extends BootstrapMember {
  /** The member's predictions at the m new rows. */
  readonly atNew: Float64Array
}

export interface JabOptions {
  readonly coverage: number
  /** How the left-out models' predictions are combined; default mean. */
  readonly aggregate?: Aggregate
}

export interface JabIntervals extends Interval {
  /** Training rows in the calibration set (those some model left out). */
  readonly n: number
  /** Training rows left out because every bag held them. */
  readonly inEveryBag: number
}

export function jackknifePlusAfterBootstrap(
  members: readonly JabMember[],
  y: Float64Array,
  opts: JabOptions,
): JabIntervals {
  const n = y.length
  checkMembers(members, n)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new Error(`jackknife+ab: target at training row ${i} is ${y[i]}`)
  }
  const m = members[0].atNew.length
  members.forEach((mb, b) => {
    if (mb.atNew.length !== m)
      throw new Error(`jackknife+ab: model ${b} has ${mb.atNew.length} predictions at new rows, model 0 has ${m}`)
    for (let t = 0; t < m; t++) {
      if (!Number.isFinite(mb.atNew[t]))
        throw new Error(`jackknife+ab: model ${b}'s prediction at new row ${t} is ${mb.atNew[t]}`)
    }
  })
  const how = opts.aggregate ?? 'mean'
  const out = leftOut(members, n)
  const kept = out.rows.length
  if (kept === 0)
    throw new Error(
      `jackknife+ab: every training row is in all ${members.length} bags, so none has a held-out residual`,
    )
  const atTrain = looAggregatesAtTrain(members, out, how)
  const residuals = Float64Array.from(out.rows, (i, k) => Math.abs(y[i] - atTrain[k]))
  // mu_-i at every new row, row-major (m, kept): kept row k is "fold" k of cvPlusIntervals.
  const loo = new Float64Array(m * kept)
  const buf = new Float64Array(members.length)
  for (let k = 0; k < kept; k++) {
    for (let t = 0; t < m; t++) {
      let c = 0
      for (let j = out.offsets[k]; j < out.offsets[k + 1]; j++) buf[c++] = members[out.models[j]].atNew[t]
      loo[t * kept + k] = aggregate(buf, c, how)
    }
  }
  const iv = cvPlusIntervals(residuals, Int32Array.from(residuals.keys()), loo, kept, opts.coverage)
  return { ...iv, n: kept, inEveryBag: out.inEveryBag }
}
