/**
 * The fallback chain: the primary bundle, then the --fallback bundle, then a neutral answer flagged as such. A link
 * that throws, takes longer than the timeout or gives a value that is not finite hands over to the next; every answer
 * names the link that produced it and why the links before it did not.
 */
import { performance } from 'node:perf_hooks'
import { userMessage } from '../core/messages.js'
import type { FeatureFrame } from '../features/frame.js'
import type { LoadedBundle } from '../pipeline/bundle.js'
import { HEAD_CSV_COLUMNS, InvalidOutputError, K } from '../pipeline/predict.js'
import { scoreRows, type ChainScores } from '../pipeline/scoring.js'

/** The neutral link's name: the answer when no bundle could give one. */
export const NEUTRAL = 'neutral'

export type FailureKind = 'error' | 'timeout' | 'non_finite' | 'not_ready'

export interface LinkFailure {
  readonly link: string
  readonly kind: FailureKind
  readonly reason: string
}

/** One row's outputs, named as `mlf predict` names its CSV columns. */
export type RowOutputs = Record<string, number>

export interface ChainAnswer {
  /** The link that produced the outputs: a served model's name, or `neutral`. */
  readonly source: string
  /** True for the neutral answer (no model produced it). */
  readonly neutral: boolean
  /** One per row asked for. */
  readonly outputs: readonly RowOutputs[]
  readonly fallbacks: readonly LinkFailure[]
  /** The scores of the link that answered (absent for neutral), for observers. */
  readonly scores?: ChainScores
}

/** A link of the chain for one request: a bundle with the frame and rows it scores, or why it cannot take part. */
export type ChainStep =
  | { readonly name: string; readonly bundle: LoadedBundle; readonly frame: FeatureFrame; readonly rows: Int32Array }
  | { readonly name: string; readonly unavailable: string }

/** What the chain reports as it goes (logs and metrics). */
export interface ChainEvents {
  onFallback?(failure: LinkFailure): void
}

/** Row i of a link's scores, with the columns of `mlf predict` (sets and heads where the chain makes them). */
export function rowOutputs(s: ChainScores, i: number): RowOutputs {
  const out: RowOutputs = { p_down: s.p[i * K], p_flat: s.p[i * K + 1], p_up: s.p[i * K + 2], signal: s.signals[i] }
  if (s.sets) {
    out.set_down = s.sets[i * K]
    out.set_flat = s.sets[i * K + 1]
    out.set_up = s.sets[i * K + 2]
  }
  for (const [c, header] of HEAD_CSV_COLUMNS) {
    const v = s.heads?.[c]
    if (v instanceof Float64Array) out[header] = v[i]
  }
  return out
}

/** The neutral answer for a bundle's signature: uniform class probabilities, a flat signal, zero returns. */
export function neutralOutputs(outputs: readonly string[]): RowOutputs {
  const out: RowOutputs = {}
  for (const name of outputs) out[name] = name.startsWith('p_') ? (name === 'p_up_binary' ? 0.5 : 1 / K) : 0
  return out
}

/** The first value of a link's outputs that is not finite, named, or null. */
function firstNonFinite(s: ChainScores): string | null {
  const arrays: [string, ArrayLike<number>][] = [['p', s.p]]
  for (const [c] of HEAD_CSV_COLUMNS) {
    const v = s.heads?.[c]
    if (v instanceof Float64Array) arrays.push([c, v])
  }
  for (const [name, a] of arrays) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return `${name}[${i}] is ${a[i]}`
  }
  return null
}

/**
 * Score through the chain: each step in turn until one gives finite outputs within `timeoutMs`; the neutral answer
 * (with the columns of `neutralColumns`) when none does. A step is built only when its turn comes (a later link's
 * features are not computed when an earlier one answers), and one that cannot be built hands over like a failing
 * link. Scoring runs on this thread, so a slow link is detected when it returns and its answer discarded; it cannot
 * be interrupted.
 */
export function answerThroughChain(
  steps: readonly { readonly name: string; step(): ChainStep }[],
  n: number,
  timeoutMs: number,
  neutralColumns: readonly string[],
  events: ChainEvents = {},
): ChainAnswer {
  const fallbacks: LinkFailure[] = []
  const fail = (failure: LinkFailure): void => {
    fallbacks.push(failure)
    events.onFallback?.(failure)
  }
  for (const link of steps) {
    let step: ChainStep
    try {
      step = link.step()
    } catch (err) {
      fail({ link: link.name, kind: 'error', reason: userMessage(err) })
      continue
    }
    if ('unavailable' in step) {
      fail({ link: step.name, kind: 'not_ready', reason: step.unavailable })
      continue
    }
    const started = performance.now()
    let scores: ChainScores
    try {
      scores = scoreRows(step.bundle, step.frame, step.rows)
    } catch (err) {
      const kind = err instanceof InvalidOutputError && err.nonFinite ? 'non_finite' : 'error'
      fail({ link: step.name, kind, reason: userMessage(err) })
      continue
    }
    const ms = performance.now() - started
    if (ms > timeoutMs) {
      fail({ link: step.name, kind: 'timeout', reason: `took ${ms.toFixed(1)} ms, over the ${timeoutMs} ms limit` })
      continue
    }
    const bad = firstNonFinite(scores)
    if (bad) {
      fail({ link: step.name, kind: 'non_finite', reason: `gave a value that is not finite: ${bad}` })
      continue
    }
    const outputs = Array.from({ length: n }, (_, i) => rowOutputs(scores, i))
    return { source: step.name, neutral: false, outputs, fallbacks, scores }
  }
  const neutral = neutralOutputs(neutralColumns)
  return { source: NEUTRAL, neutral: true, outputs: Array.from({ length: n }, () => ({ ...neutral })), fallbacks }
}

/** What a client sees of an answer: its source, whether it is neutral, the outputs and the fallbacks on the way. */
export function publicAnswer(a: ChainAnswer): Omit<ChainAnswer, 'scores'> {
  return { source: a.source, neutral: a.neutral, outputs: a.outputs, fallbacks: a.fallbacks }
}
