/**
 * The learner of the regime gates (hmm_gate, markov_switching_gate): one weight per state and member, W (K, M), each
 * state's row on the simplex, mixed at row t by the regime's filtered probabilities pi_t:
 *
 *     w_t = sum_k pi_tk W_k,        p_t = sum_j w_tj p_tj
 *
 * W is learned on the out-of-fold rows by EM on the mixture likelihood prod_t sum_k sum_j pi_tk W_kj p_tj(y_t): the
 * E-step's responsibilities r_tkj = pi_tk W_kj p_tj(y_t) / (their sum over k, j) give expected counts C_kj, and the
 * M-step is W_kj = (C_kj + prior) / (sum_j C_kj + M prior) (a symmetric Dirichlet prior: a state the window barely
 * visits keeps weights near uniform instead of copying a few rows). Each EM step never lowers the penalised
 * likelihood; it stops when a step gains less than tol per row. Deterministic: no random start.
 */
import { z } from 'zod'
import { regimeModelSchema, type RegimeModelName } from '../../models/regime/spec.js'
import type { CombinerEntry } from '../combiner.js'
import { PROB_FLOOR } from '../stacking.js'
import { fitGate, gateShape, loadGate, type GateLearner, type GateTraining } from './gate.js'

export function regimeMixtureParams<N extends string>(name: N, model: RegimeModelName) {
  return z
    .strictObject({
      ...gateShape(name),
      regime: regimeModelSchema
        .prefault({ model })
        .describe(`The regime model (fitted per training window) whose filtered probabilities mix the weights`),
      prior: z
        .number()
        .min(0)
        .default(1)
        .describe('Dirichlet pseudo-count per state and member: pulls the weights of rarely visited states to uniform'),
      max_iter: z.int().min(1).max(10_000).default(500).describe('EM iterations at most'),
      tol: z.number().nonnegative().default(1e-9).describe('stop when the log-likelihood per row gains less than this'),
    })
    .superRefine((p, ctx) => {
      if (p.regime.model !== model)
        ctx.addIssue({
          code: 'custom',
          path: ['regime', 'model'],
          message: `${name} mixes by the filtered probabilities of a ${model} model: regime.model must be ${model}`,
        })
    })
}

export type RegimeMixtureParams = z.infer<ReturnType<typeof regimeMixtureParams>>

const stateSchema = z.strictObject({
  /** W (K, M): one row of member weights per state, each summing to 1. */
  weights: z.array(z.array(z.number().min(0).max(1))).min(1),
  iterations: z.int().min(0),
  log_likelihood: z.number(),
})
export type RegimeMixtureState = z.infer<typeof stateSchema>

/** EM for W on the out-of-fold rows; returns W (K, M) row-major, the iterations run and the final log-likelihood. */
export function fitStateWeights(
  data: Pick<GateTraining, 'probs' | 'y' | 'classes' | 'extra' | 'extraNames' | 'regimeStates'>,
  opts: { prior: number; maxIter: number; tol: number },
): { W: Float64Array; iterations: number; logLikelihood: number } {
  const K = data.regimeStates
  const M = data.probs.length
  const k = data.classes
  const n = data.y.length
  const e = data.extraNames.length
  const off = e - K
  // q[t, j]: member j's probability of the true class at row t (floored: one confident miss must not zero a row)
  const q = new Float64Array(n * M)
  for (let t = 0; t < n; t++)
    for (let j = 0; j < M; j++) q[t * M + j] = Math.max(PROB_FLOOR, data.probs[j][t * k + data.y[t]])
  const W = new Float64Array(K * M).fill(1 / M)
  const C = new Float64Array(K * M)
  const r = new Float64Array(K * M)
  let prev = -Infinity
  let ll = -Infinity
  let iter = 0
  for (; iter < opts.maxIter; iter++) {
    C.fill(0)
    ll = 0
    for (let t = 0; t < n; t++) {
      let z = 0
      for (let s = 0; s < K; s++) {
        const pi = data.extra[t * e + off + s]
        for (let j = 0; j < M; j++) {
          const v = pi * W[s * M + j] * q[t * M + j]
          r[s * M + j] = v
          z += v
        }
      }
      ll += Math.log(z)
      const inv = 1 / z
      for (let i = 0; i < K * M; i++) C[i] += r[i] * inv
    }
    if (iter > 0 && (ll - prev) / n < opts.tol) break
    prev = ll
    for (let s = 0; s < K; s++) {
      let total = 0
      for (let j = 0; j < M; j++) total += C[s * M + j]
      for (let j = 0; j < M; j++) W[s * M + j] = (C[s * M + j] + opts.prior) / (total + M * opts.prior)
    }
  }
  return { W, iterations: iter, logLikelihood: ll }
}

/** w_t = pi_t W for every row (the regime probabilities are the last K columns of extra). */
export function mixedWeights(W: Float64Array, K: number, M: number, extra: Float64Array, e: number): Float64Array {
  const n = e === 0 ? 0 : extra.length / e
  const off = e - K
  const w = new Float64Array(n * M)
  for (let t = 0; t < n; t++)
    for (let s = 0; s < K; s++) {
      const pi = extra[t * e + off + s]
      for (let j = 0; j < M; j++) w[t * M + j] += pi * W[s * M + j]
    }
  return w
}

function learner(): GateLearner<RegimeMixtureParams, RegimeMixtureState> {
  return {
    online: false,
    state: stateSchema,
    async fit(params, data) {
      if (data.regimeStates < 1) throw new Error(`${params.gate}: needs its regime's probabilities`)
      const fit = fitStateWeights(data, { prior: params.prior, maxIter: params.max_iter, tol: params.tol })
      const M = data.probs.length
      return {
        weights: Array.from({ length: data.regimeStates }, (_, s) => [...fit.W.subarray(s * M, (s + 1) * M)]),
        iterations: fit.iterations,
        log_likelihood: fit.logLikelihood,
      }
    },
    weights(state, rows) {
      const W = Float64Array.from(state.weights.flat())
      return mixedWeights(W, state.weights.length, rows.probs.length, rows.extra, rows.extraWidth)
    },
    check(state, members, _extraWidth, regimeStates) {
      if (state.weights.length !== regimeStates)
        throw new Error(`state.weights holds ${state.weights.length} states, the regime has ${regimeStates}`)
      state.weights.forEach((row, s) => {
        if (row.length !== members) throw new Error(`state.weights[${s}] holds ${row.length} weights, not ${members}`)
        const sum = row.reduce((a, b) => a + b, 0)
        if (Math.abs(sum - 1) > 1e-9) throw new Error(`state.weights[${s}] sums to ${sum}, not 1`)
      })
    },
  }
}

/** The combiner entry of a regime gate: `name`, mixing by a `model` regime. */
export function regimeMixtureEntry<N extends string>(
  name: N,
  model: RegimeModelName,
): CombinerEntry<RegimeMixtureParams> {
  const l = learner()
  return {
    name,
    gate: true,
    params: regimeMixtureParams(name, model) as unknown as z.ZodType<RegimeMixtureParams, unknown>,
    available: () => ({ ok: true }),
    fit: (params, input, ctx) => fitGate(params, input, ctx, l),
    load: (dir) => loadGate(dir, name, l as never),
  }
}
