/*
 * exp for the single-row predictors. Math.exp is a call into C from optimized code (~20 ns per call here, more than
 * half of a 55-feature linear prediction); this one is a few multiplications that V8 inlines. Accuracy: within 3 ulp
 * of the true value (tested against Math.exp).
 *
 * t = k ln2/32 + r with |r| <= ln2/64, so e^t = 2^(h) * 2^(i/32) * e^r with k = 32h + i: two table lookups and a
 * degree-6 Taylor polynomial, whose remainder r^7/7! is below 4e-18 on that interval.
 */

const STEPS = 32
/** Below e^-700 (~1e-304) results flush to 0: see expNonPositive. */
const FLUSH_BELOW = -700
const INV_STEP = STEPS / Math.LN2
// ln2/32 split for Cody-Waite reduction: HI has 35 significant bits, so k * HI is exact for every k in range.
const STEP_HI = Math.round((Math.LN2 / STEPS) * 2 ** 40) / 2 ** 40
/** ln2 - Math.LN2: the part of ln2 that a double cannot hold. */
export const LN2_TAIL = 2.3190468138462996e-17
const STEP_LO = (Math.LN2 - STEPS * STEP_HI + LN2_TAIL) / STEPS
const FRACTION = Float64Array.from({ length: STEPS }, (_, i) => 2 ** (i / STEPS))
/** 2^h for h = -H_OFFSET .. H_OFFSET; 700 * 32/ln2 / 32 < 1011. */
const H_OFFSET = 1011
const POWER = Float64Array.from({ length: 2 * H_OFFSET + 1 }, (_, i) => 2 ** (i - H_OFFSET))
/** The range of expBounded. */
export const EXP_BOUND = 700

/**
 * e^t for t <= 0, flushed to 0 below -700: results under ~1e-304 would be (or multiply into) subnormal doubles,
 * whose arithmetic is ~100x slower on x86, and as probabilities they are 0 to any tolerance that matters.
 * NaN gives NaN; positive t is outside the contract (callers subtract the maximum first).
 */
export function expNonPositive(t: number): number {
  if (!(t >= FLUSH_BELOW)) return t === t ? 0 : NaN
  // Nearest integer to t * 32/ln2 (<= 0) as an int32: |0 truncates toward zero, so subtract a half first. Not
  // Math.round: it returns -0 for small negative arguments, which makes V8 deoptimize this function.
  const k = (t * INV_STEP - 0.5) | 0
  const r = t - k * STEP_HI - k * STEP_LO
  // Estrin: a shorter dependency chain than Horner.
  const r2 = r * r
  const p = 1 + r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720)))
  const i = k & (STEPS - 1)
  return POWER[(k >> 5) + H_OFFSET] * FRACTION[i] * p
}

/**
 * e^t for -700 <= t <= 700 (callers check the range; results stay between 1e-304 and 1e304), by the same method.
 * A softmax whose scores are all in range needs no shift by their maximum, which saves one exp and the maximum.
 */
export function expBounded(t: number): number {
  // Nearest integer to t * 32/ln2 as an int32 (floor(y + 0.5): never -0 here, see expNonPositive).
  const k = Math.floor(t * INV_STEP + 0.5) | 0
  const r = t - k * STEP_HI - k * STEP_LO
  const r2 = r * r
  const p = 1 + r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720)))
  return POWER[(k >> 5) + H_OFFSET] * FRACTION[k & (STEPS - 1)] * p
}
