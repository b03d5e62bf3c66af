/**
 * The run record's parts that the report shows a trader beside the metrics: the test period, the trade list, equity
 * without costs and buy-and-hold, a voting ensemble's weights per window, and each model's feature importance
 * labelled with the model and its method (gain, TreeSHAP on test rows, permutation on validation rows).
 */
import type { Bars } from '../../data/bars.js'
import type { Trade } from '../../backtest/account.js'
import type { Model } from '../../models/contract.js'
import { selectColumns } from '../../ensemble/voting.js'
import { contributionsOf, hasShap, meanAbsShap, topIndices, beeswarmPoints } from '../../explain/shap.js'
import { permutationImportance } from '../../explain/permutation.js'
import { memberShares } from '../../explain/member-shares.js'
import type { CombinedModel } from '../../ensemble/combined.js'
import { deriveSeed } from '../../core/seeds.js'
import type {
  BenchmarkRecord,
  EnsembleWeightsRecord,
  ImportanceRecord,
  TestPeriodRecord,
  TradeRecord,
} from '../../tracking/types.js'
import { CLASS_NAMES, matrixFor } from '../dataset.js'
import type { BacktestOutcome } from './backtest.js'
import type { WindowResult } from './chain.js'
import type { RunData } from './dataset.js'
import { withRegimes } from './regime.js'

/** Most trades a run record keeps (the run folder's trades.csv has every one). */
export const MAX_RECORDED_TRADES = 1000
/** Test rows of the last window whose SHAP values are summarised (evenly spaced through the window). */
export const SHAP_ROWS = 1000
/** Features whose SHAP values are drawn as a beeswarm, and rows per feature. */
export const BEESWARM_FEATURES = 12
export const BEESWARM_ROWS = 200
/** Validation rows of the last window permutation importance is measured on (evenly spaced), and its repeats. */
export const PERMUTATION_ROWS = 1000
export const PERMUTATION_REPEATS = 1

const iso = (ms: number) => new Date(ms).toISOString()

export function testPeriodRecord(rows: Int32Array, bars: Bars): TestPeriodRecord | undefined {
  if (rows.length === 0) return undefined
  const first = rows[0]
  const last = rows[rows.length - 1]
  return { start: iso(bars.ts[first]), end: iso(bars.ts[last]), rows: rows.length, bars: last - first + 1 }
}

export function tradeRecord(t: Trade, bars: Bars): TradeRecord {
  return {
    side: t.side > 0 ? 'long' : 'short',
    size: t.size,
    decision: iso(bars.ts[t.decisionIndex]),
    entry: iso(bars.ts[t.entryIndex]),
    exit: iso(bars.ts[t.exitIndex]),
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    gross: t.gross,
    cost: t.cost,
    net: t.net,
    reason: t.exit,
  }
}

export function tradesRecord(trades: readonly Trade[], bars: Bars): { total: number; rows: TradeRecord[] } {
  return { total: trades.length, rows: trades.slice(0, MAX_RECORDED_TRADES).map((t) => tradeRecord(t, bars)) }
}

/** Every trade as CSV, one line each (the report and the record keep the first MAX_RECORDED_TRADES). */
export function tradesCsv(trades: readonly Trade[], bars: Bars): string {
  const head = 'side,size,decision,entry,exit,entry_price,exit_price,gross,cost,net,reason'
  const lines = trades.map((t) => {
    const r = tradeRecord(t, bars)
    return [r.side, r.size, r.decision, r.entry, r.exit, r.entryPrice, r.exitPrice, r.gross, r.cost, r.net, r.reason]
      .map(String)
      .join(',')
  })
  return `${[head, ...lines].join('\n')}\n`
}

export function benchmarkRecord(o: BacktestOutcome): BenchmarkRecord {
  return {
    grossEquity: Array.from(o.costFree),
    buyAndHold: { gross: Array.from(o.buyAndHold.gross), net: Array.from(o.buyAndHold.net) },
  }
}

/**
 * A voting ensemble's weights in each window, as shares of the vote; for stacking or blending, each member's share of
 * the rise in the combined log-loss when its outputs are shuffled among the window's validation rows. Absent without
 * such a combiner (a gate's weights over time are the record's `gate`).
 */
export function ensembleWeightsRecord(
  results: readonly WindowResult[],
  data: RunData,
  seed: number,
): EnsembleWeightsRecord | undefined {
  const first = results[0].combination
  if (!first || results.some((r) => r.gate)) return undefined
  const testStart = (r: WindowResult) => iso(r.window.testStart ?? data.bars.ts[r.window.test[0]])
  if (first.weights) {
    const members = Object.keys(first.weights)
    return {
      combiner: first.name,
      meaning: 'share of the vote (each member’s weight over their sum) in the window’s soft vote',
      members,
      windows: results.map((r) => {
        const w = members.map((m) => r.combination?.weights?.[m] ?? 0)
        const total = w.reduce((a, b) => a + b, 0)
        return { key: r.window.key, testStart: testStart(r), weights: w.map((x) => (total > 0 ? x / total : 0)) }
      }),
    }
  }
  const combined = first.model as Partial<CombinedModel>
  if (!combined.combiner || combined.combiner.online) return undefined
  if (combined.members!.some((m) => m.model.spec.inputView !== 'feature_matrix')) return undefined
  return {
    combiner: first.name,
    meaning:
      'share of the rise in the combined log-loss when the member’s outputs are shuffled among the window’s ' +
      `validation rows (at most ${PERMUTATION_ROWS}, seeded): how much the meta-learner leans on it`,
    members: combined.combiner.members.slice(),
    windows: results.map((r) => {
      const model = r.combination!.model as CombinedModel
      const frame = withRegimes(data, r.regimes).lf.frame
      const rows = evenlySpaced(r.window.val, PERMUTATION_ROWS)
      const at = new Map(Array.from(r.window.val, (row, i) => [row, i]))
      const y = Float64Array.from(rows, (row) => r.yTrue.val[at.get(row)!])
      const x = matrixFor(frame, rows)
      const outputs = model.members.map((m) => m.model.predict(m.features ? selectColumns(x, m.features) : x))
      const extra = model.combiner.extraFeatures.length
        ? selectColumns(x, model.combiner.extraFeatures).data
        : undefined
      const s = memberShares(model.combiner, outputs, y, {
        seed: deriveSeed(seed, 'report', 'member-shares', r.window.key),
        ...(extra ? { extra } : {}),
      })
      return { key: r.window.key, testStart: testStart(r), weights: Array.from(s.shares) }
    }),
  }
}

/** Up to `max` of `rows`, evenly spaced (the first kept): deterministic, spread over the whole window. */
export function evenlySpaced(rows: Int32Array, max: number): Int32Array {
  if (rows.length <= max) return rows
  return Int32Array.from({ length: max }, (_, i) => rows[Math.floor((i * rows.length) / max)])
}

interface NamedLeaf {
  readonly name: string
  readonly role: string
  readonly model: Model
  readonly features?: readonly string[]
}

/** The single models of the chain with their registry names and where they sit (`member 2 of stacking`). */
export function namedLeaves(model: Model, name: string, role = 'final', features?: readonly string[]): NamedLeaf[] {
  if (!model.parts) return [{ name, role, model, ...(features ? { features } : {}) }]
  return model.parts.flatMap((p, k) =>
    namedLeaves(p.model, p.name, `${p.role} ${k + 1} of ${name}`, p.features ?? features),
  )
}

const ranked = (names: readonly string[], values: ArrayLike<number>) =>
  names.map((feature, j) => ({ feature, value: values[j] })).sort((a, b) => b.value - a.value)

/**
 * Feature importance of every single model of the last window's final chain (the p head): XGBoost's gain and its
 * TreeSHAP values on test rows for tree models; permutation importance on validation rows for other models that take
 * a feature matrix and give class probabilities. A neighbour search per permuted row makes knn too costly: it has none.
 */
export function importanceRecords(data: RunData, last: WindowResult, seed: number): ImportanceRecord[] {
  const frame = withRegimes(data, last.regimes).lf.frame
  const out: ImportanceRecord[] = []
  const matrix = (rows: Int32Array, features?: readonly string[]) => {
    const all = matrixFor(frame, rows)
    return features ? selectColumns(all, features) : all
  }
  for (const leaf of namedLeaves(last.final, last.finalName)) {
    const { model } = leaf
    if (model.spec.inputView !== 'feature_matrix') continue
    const names = leaf.features ?? frame.names
    const label = { model: leaf.name, role: leaf.role }
    const gain = model.importance?.('gain')
    if (gain && gain.length === names.length)
      out.push({ ...label, method: 'gain', rows: null, features: ranked(names, gain) })
    if (hasShap(model)) {
      const x = matrix(evenlySpaced(last.window.test, SHAP_ROWS), leaf.features)
      const c = contributionsOf(model, x, names.length)
      const mean = meanAbsShap(c)
      const top = topIndices(mean, BEESWARM_FEATURES)
      // The up class's margin for a multiclass model, the one margin of a binary one.
      const group = c.groups === CLASS_NAMES.length ? CLASS_NAMES.indexOf('up') : c.groups - 1
      const sample = Array.from(
        evenlySpaced(
          Int32Array.from({ length: c.rows }, (_, i) => i),
          BEESWARM_ROWS,
        ),
      )
      out.push({
        ...label,
        method: 'shap',
        rows: c.rows,
        features: ranked(names, mean),
        beeswarm: {
          class: c.groups === CLASS_NAMES.length ? 'up' : 'positive',
          features: top.map((j) => names[j]),
          points: beeswarmPoints(c, x, top, group, sample),
        },
      })
    } else if (model.task.kind === 'multiclass' && model.spec.family !== 'knn') {
      const rows = evenlySpaced(last.window.val, PERMUTATION_ROWS)
      const at = new Map(Array.from(last.window.val, (r, i) => [r, i]))
      const y = Float64Array.from(rows, (r) => last.yTrue.val[at.get(r)!])
      const pi = permutationImportance(model, matrix(rows, leaf.features), y, model.task.classes, {
        seed: deriveSeed(seed, 'report', 'permutation', leaf.role),
        repeats: PERMUTATION_REPEATS,
      })
      out.push({ ...label, method: 'permutation', rows: pi.rows, features: ranked(names, pi.increase) })
    }
  }
  return out
}
