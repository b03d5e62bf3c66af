import type { RowKernel } from './codegen.js'
import type { FastPredictor } from './types.js'

/**
 * NaN handling off the hot path: a NaN input propagates to the scores, so predictors compute first and only when
 * a score is NaN look at the row again, either imputing it into a scratch row (when the model has training
 * medians) or rejecting it with the offending column.
 */
export function imputeRow(
  x: Float64Array,
  offset: number,
  medians: Float64Array | undefined,
  scratch: Float64Array,
  who: string,
): Float64Array {
  for (let j = 0; j < scratch.length; j++) {
    const v = x[offset + j]
    if (v === v) scratch[j] = v
    else if (medians) scratch[j] = medians[j]
    else throw new Error(`${who}: input column ${j} is NaN and this model has no imputation values`)
  }
  return scratch
}

/**
 * The predictor around a kernel. A row whose scores were NaN is imputed (or rejected) and scored again from a
 * copy, which also serves offsets the kernel does not take; an offset that does not start a whole row is an error,
 * and so is a score that is still not a number (an infinite input), never a NaN output.
 */
export function rowPredictor(
  kernel: RowKernel,
  features: number,
  classes: number,
  medians: Float64Array | undefined,
  who: string,
): FastPredictor {
  const own = medians ? Float64Array.from(medians) : undefined
  const scratch = new Float64Array(features)
  const out = kernel.own ?? new Float64Array(classes)
  const rescore = (x: Float64Array, offset: number): void => {
    if (!Number.isInteger(offset) || offset < 0 || offset + features > x.length) {
      throw new Error(
        `${who}: offset ${offset} does not start a row of ${features} features in an input of length ${x.length}`,
      )
    }
    if (!kernel(imputeRow(x, offset, own, scratch, who), 0, out)) {
      throw new Error(`${who}: the scores of this row are not finite (an input is infinite?)`)
    }
  }
  return {
    features,
    classes,
    out,
    predict(x, offset = 0) {
      if (!kernel(x, offset, out)) rescore(x, offset)
      return out
    },
  }
}

/** Split row-major (rows, f) into one Float64Array per row: separate arrays keep the hot loops monomorphic. */
export function splitRows(a: Float64Array, rows: number, f: number): Float64Array[] {
  return Array.from({ length: rows }, (_, k) => a.slice(k * f, k * f + f))
}

/**
 * Class probabilities (n, classes) of the n rows of a row-major matrix, each scored by the single-row predictor: the
 * batch path of the models that have one, so batch and live scoring are one arithmetic.
 */
export function predictRows(fast: FastPredictor, x: Float64Array, n: number): Float64Array {
  const { classes, features } = fast
  const p = new Float64Array(n * classes)
  for (let i = 0; i < n; i++) p.set(fast.predict(x, i * features), i * classes)
  return p
}

const predictors = new WeakMap<object, FastPredictor>()

/** The single-row predictor of a fitted model's parameters, made once per parameter object and kept while it lives. */
export function predictorOf<S extends object>(state: S, make: (state: S) => FastPredictor): FastPredictor {
  let fast = predictors.get(state)
  if (!fast) {
    fast = make(state)
    predictors.set(state, fast)
  }
  return fast
}
