import { createBooster, type Booster, type BoosterParams } from './booster.js'
import type { DMatrix } from './dmatrix.js'

export interface TrainOptions {
  readonly params: BoosterParams
  readonly rounds: number
  readonly train: DMatrix
  /** Validation set for early stopping (monitors the last metric XGBoost reports for it). */
  readonly val?: DMatrix
  /** Stop after this many rounds without improvement on `val`; the booster is cut back to the best round. */
  readonly earlyStoppingRounds?: number
  /** After each round: its validation score and the metric's name (when there is a validation set). */
  readonly onRound?: (round: number, total: number, score?: number, metric?: string) => void
  readonly signal?: AbortSignal
}

export interface TrainResult {
  readonly booster: Booster
  /** Rounds kept in the booster (best iteration + 1 when early stopping fired). */
  readonly rounds: number
  readonly bestIteration: number
  readonly bestScore?: number
  readonly metric?: string
  /** Validation metric per round, when a validation set was given. */
  readonly history: readonly number[]
}

// Metrics where larger is better (XGBoost's own list for early stopping direction).
/** Evaluation metrics where higher is better (the others are losses). */
export const MAXIMIZE = /^(auc|aucpr|map|ndcg|pre)(@|$|-)/

/** Parse the last `name-metric:value` of an XGBoost evaluation line. */
export function parseEvalLine(line: string): { metric: string; value: number } {
  const parts = line.trim().split('\t').slice(1)
  const last = parts[parts.length - 1]
  const m = /^[^-]+-(.+):(-?[\d.eE+-]+|nan|inf|-inf)$/.exec(last ?? '')
  if (!m) throw new Error(`cannot parse XGBoost evaluation line "${line}"`)
  return { metric: m[1], value: Number(m[2]) }
}

/** Boost `rounds` rounds (the C API loop of xgboost.train), with optional early stopping on `val`. */
export function trainBooster(opts: TrainOptions): TrainResult {
  const cache = opts.val ? [opts.train, opts.val] : [opts.train]
  const booster = createBooster(cache)
  try {
    booster.setParams(opts.params)
    const history: number[] = []
    let best = -1
    let bestScore = NaN
    let metric: string | undefined
    let maximize = false
    const evalSets = opts.val ? [{ name: 'val', dm: opts.val }] : []
    for (let iter = 0; iter < opts.rounds; iter++) {
      if (opts.signal?.aborted) throw new Error('XGBoost training aborted')
      booster.updateOneIter(iter, opts.train)
      let score: number | undefined
      if (opts.val) {
        const parsed = parseEvalLine(booster.evalOneIter(iter, evalSets))
        score = parsed.value
        if (metric === undefined) {
          metric = parsed.metric
          maximize = MAXIMIZE.test(metric)
        }
        history.push(score)
        if (best < 0 || (maximize ? score > bestScore : score < bestScore)) {
          best = iter
          bestScore = score
        }
      } else {
        best = iter
      }
      opts.onRound?.(iter + 1, opts.rounds, score, metric)
      if (opts.val && opts.earlyStoppingRounds !== undefined && iter - best >= opts.earlyStoppingRounds) break
    }
    const done = booster.boostedRounds()
    if (best + 1 < done) {
      const cut = booster.slice(0, best + 1)
      booster.free()
      return { booster: cut, rounds: best + 1, bestIteration: best, bestScore, metric, history }
    }
    return {
      booster,
      rounds: done,
      bestIteration: best,
      bestScore: opts.val ? bestScore : undefined,
      metric,
      history,
    }
  } catch (err) {
    booster.free()
    throw err
  }
}
