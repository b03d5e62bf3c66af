/*
 * Single-row kernels generated per model: the parameters become numeric literals in a straight-line function, so a
 * prediction loads only its input row (no parameter loads, no parameter bounds checks, no loop), and each model's
 * function is its own code that V8 optimizes for it alone. The source is built from numbers only (each printed so
 * that it parses back to the identical double), never from strings that come from a file.
 *
 * Softmax over K classes is computed from K-1 score differences against class 0 (softmax is shift-invariant), which
 * saves a third of the work at three classes. Where WebAssembly SIMD runs, the scores and the softmax come from a
 * module of the model's own (fast/wasm.ts) and only the row copy is generated JavaScript.
 */
import { EXP_BOUND, expBounded, expNonPositive } from './exp.js'
import { type RowScorer, wasmLinearScorer, wasmQuadraticScorer } from './wasm.js'

/** `auto`: WebAssembly scores where available; `js`: the straight-line JavaScript kernel (also the fallback). */
export type KernelEngine = 'auto' | 'js'

/** Models with more terms than this use the loop kernels: the straight-line source would grow past what pays. */
export const UNROLL_LIMIT = 2048

/**
 * A scoring kernel: writes class probabilities of x[o .. o + features) to out; false when a score is NaN (or, for
 * generated kernels, when o is not an integer in [0, OFFSET_MASK]).
 */
export type RowKernel = ((x: Float64Array, o: number, out: Float64Array) => boolean) & {
  /** Where the kernel computes its probabilities: an out that is this buffer saves their copy. */
  readonly own?: Float64Array
}

/** A double as source text that parses back to the same value. */
export function numberLiteral(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`codegen: ${v} is not a finite number`)
  return Object.is(v, -0) ? '(-0)' : v < 0 ? `(${String(v)})` : String(v)
}

/**
 * Two interleaved accumulators per score (even and odd features) halve the dependency chains; `lines` declares
 * them, the even ones starting at the intercepts c.
 */
function accumulators(c: Float64Array): { even: string[]; odd: string[]; lines: string[] } {
  const even = Array.from(c, (_, r) => `d${r}`)
  const odd = Array.from(c, (_, r) => `e${r}`)
  const lines = [`let ${even.map((a, r) => `${a} = ${numberLiteral(c[r])}`).join(', ')}`]
  lines.push(`let ${odd.map((a) => `${a} = 0`).join(', ')}`)
  return { even, odd, lines }
}

/**
 * Source of a softmax over class 0 (score 0) and classes 1..R (the given score expressions), written to out;
 * returns whether the scores were numbers. A single score (R = 1) is a logit: out = (1 - p, p).
 */
function softmaxTail(scores: readonly string[]): string {
  const lines: string[] = []
  const rows = scores.length
  const score = (r: number): string => `s${r}`
  for (let r = 0; r < rows; r++) lines.push(`const ${score(r)} = ${scores[r]}`)
  if (rows === 1) {
    // Logistic: both halves from e^-|s|, so neither loses digits to 1 - p.
    lines.push('const a = expNonPositive(s0 > 0 ? -s0 : s0)', 'const inv = 1 / (1 + a)')
    lines.push('if (s0 > 0) { out[0] = a * inv; out[1] = inv } else { out[0] = inv; out[1] = a * inv }')
    lines.push('return inv === inv')
    return lines.join('\n')
  }
  // Scores within +-700: e^s directly (no overflow: the sum stays below 1e305), one exp fewer than shifting.
  const all = Array.from({ length: rows }, (_, r) => score(r))
  lines.push(`if (${all.map((v) => `Math.abs(${v}) <= ${EXP_BOUND}`).join(' && ')}) {`)
  for (let r = 0; r < rows; r++) lines.push(`const q${r + 1} = expBounded(${score(r)})`)
  lines.push(`const inv = 1 / (1 + ${all.map((_, r) => `q${r + 1}`).join(' + ')})`)
  lines.push('out[0] = inv')
  for (let r = 0; r < rows; r++) lines.push(`out[${r + 1}] = q${r + 1} * inv`)
  lines.push('return true', '}')
  // Otherwise (or NaN) shift by the maximum; Math.max is branch-free and passes a NaN score on.
  lines.push(`const m = Math.max(0, ${all.join(', ')})`)
  lines.push('const p0 = expNonPositive(-m)')
  for (let r = 0; r < rows; r++) lines.push(`const p${r + 1} = expNonPositive(${score(r)} - m)`)
  const terms = Array.from({ length: rows + 1 }, (_, k) => `p${k}`)
  lines.push(`const inv = 1 / (${terms.join(' + ')})`)
  for (let k = 0; k <= rows; k++) lines.push(`out[${k}] = p${k} * inv`)
  lines.push('return inv === inv')
  return lines.join('\n')
}

/**
 * Row offsets the generated kernels take; any other offset (negative, fractional, larger) makes them return false
 * and the predictor handles the row off the hot path. Masking tells V8 that o + j cannot overflow an int32, which
 * drops an overflow check from every load (measured: a 55-feature row copy from 30 to 21 ns).
 */
export const OFFSET_MASK = 0x3fffffff

/** kernel(x, o, out) from its body; the body sees the exps and `values` (the WebAssembly scorer's parts) by name. */
function compile(body: string, values: Record<string, unknown> = {}): RowKernel {
  const names = ['expNonPositive', 'expBounded', ...Object.keys(values)]
  const guard = `const o = offset & ${OFFSET_MASK}\nif (o !== offset) return false`
  const factory = new Function(...names, `return function kernel(x, offset, out) {\n${guard}\n${body}\n}`) as (
    ...args: unknown[]
  ) => RowKernel
  return factory(expNonPositive, expBounded, ...Object.values(values))
}

/** Scores from accumulator pairs d_r + e_r. */
const accumulated = (rows: number): string[] => Array.from({ length: rows }, (_, r) => `d${r} + e${r}`)

/**
 * The kernel around a WebAssembly scorer: copy the row in (straight-line), run; the module's probabilities, or the
 * JavaScript softmax of its scores when it left them (a NaN, or a score beyond +-EXP_BOUND).
 */
function compileWasm(scorer: RowScorer, features: number): RowKernel {
  const rows = scorer.scores.length
  const lines: string[] = []
  for (let j = 0; j < features; j++) lines.push(`input[${j}] = x[o + ${j}]`)
  const copied = Array.from({ length: rows + 1 }, (_, k) => `out[${k}] = probs[${k}]`)
  lines.push(`if (run() !== 0) { if (out !== probs) { ${copied.join('; ')} }; return true }`)
  lines.push(softmaxTail(Array.from({ length: rows }, (_, r) => `scores[${r}]`)))
  const { input, run, scores, probs } = scorer
  return Object.assign(compile(lines.join('\n'), { input, run, scores, probs }), { own: probs })
}

/**
 * Linear scores z_r = c_r + sum_j w[r][j] x_j for r = 0..R-1 (row-major w, R x features) turned into
 * probabilities: R >= 2 are the score differences of classes 1..R against class 0; R = 1 is a binary logit.
 */
export function linearKernel(
  w: Float64Array,
  c: Float64Array,
  features: number,
  engine: KernelEngine = 'auto',
): RowKernel {
  const rows = c.length
  const scorer = engine === 'auto' ? wasmLinearScorer(w, c, features) : undefined
  if (scorer) return compileWasm(scorer, features)
  const { even, odd, lines } = accumulators(c)
  for (let j = 0; j < features; j++) {
    const acc = j % 2 === 0 ? even : odd
    const terms = acc.map((a, r) => `${a} += ${numberLiteral(w[r * features + j])} * v`)
    lines.push(`{ const v = x[o + ${j}]; ${terms.join('; ')} }`)
  }
  lines.push(softmaxTail(accumulated(rows)))
  return compile(lines.join('\n'))
}

/**
 * Quadratic scores z_r = c_r + sum_j (a[r][j] u_j^2 + b[r][j] u_j) with u_j = x_j - center_j: Gaussian naive
 * Bayes log-likelihood differences (see fast/gaussian_nb.ts), probabilities as in linearKernel.
 */
export function quadraticKernel(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  center: Float64Array,
  features: number,
  engine: KernelEngine = 'auto',
): RowKernel {
  const rows = c.length
  const scorer = engine === 'auto' ? wasmQuadraticScorer(a, b, c, center, features) : undefined
  if (scorer) return compileWasm(scorer, features)
  const { even, odd, lines } = accumulators(c)
  for (let j = 0; j < features; j++) {
    const acc = j % 2 === 0 ? even : odd
    const k = center[j]
    const u = k === 0 ? `x[o + ${j}]` : `x[o + ${j}] - ${numberLiteral(k)}`
    const terms = acc.map(
      (s, r) => `${s} += ${numberLiteral(a[r * features + j])} * q + ${numberLiteral(b[r * features + j])} * u`,
    )
    lines.push(`{ const u = ${u}; const q = u * u; ${terms.join('; ')} }`)
  }
  lines.push(softmaxTail(accumulated(rows)))
  return compile(lines.join('\n'))
}
