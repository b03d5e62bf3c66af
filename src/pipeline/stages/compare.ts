/**
 * evaluation.compare: every base model alone on each head it trains, in one table. The members are the chain's own,
 * each already fitted alone on the window's training rows, so nothing is refitted. A p model's probabilities go
 * through the run's calibrators, fitted on its own validation rows, and are traded by the run's primary policy (in
 * the chain's p's place) in a backtest of the same test stream as the run's; a member of another head is its own
 * outputs, before the head's combination and uncertainty method. Beside them, a head whose chain is more than one member alone (an ensemble, several
 * members averaged, an uncertainty method) gets a row of the run's own outputs. Nothing is fitted on test rows.
 */
import { runBacktest } from '../../backtest/engine.js'
import { backtestMetrics } from '../../backtest/metrics.js'
import { headName, membersOf, type Head } from '../../config/heads.js'
import { topLabelCalibration } from '../../inference/calibration/metrics.js'
import type { Outputs } from '../../models/contract.js'
import { decide, policyList, policyNeeds } from '../../policy/registry.js'
import { policyInputs, policyMarket } from '../positions.js'
import type { ComparisonRecord } from '../../tracking/types.js'
import { K } from '../predict.js'
import { backtestIntervals, type BacktestOutcome } from './backtest.js'
import { metricsWithIntervals, type BootstrapRecord } from '../../backtest/bootstrap.js'
import type { Scored, WindowResult } from './chain.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import {
  concat,
  concatHeadOutputs,
  headMetrics,
  headRecords,
  splitMetrics,
  targetMetrics,
  targetRecords,
  type TestStream,
} from './evaluate.js'
import type { FittedBase } from './fit.js'
import type { HeadMember, HeadResult, MemberOutputs } from './heads.js'
import type { TargetHeadResult } from './target-heads.js'
import type { TargetSpec } from '../../config/targets.js'
import { calibratorSteps, fitPostProcessors, postProcess } from './post-process.js'
import type { EvalWindow } from './windows.js'

/** One base model alone on one head (or one target of a multi-head target), in one window. */
export interface AloneResult {
  readonly name: string
  /** Its index in base_models. */
  readonly index: number
  readonly head: Head
  /** The target, on a multi-head target head (a member is fitted once per target). */
  readonly target?: TargetSpec
  /** Its outputs on the window's validation and test rows (a p model's after its own calibrators). */
  readonly val: Outputs
  readonly test: Outputs
  /** The calibrators its probabilities went through (none on other heads). */
  readonly postProcessors: readonly string[]
  /** The run's primary policy's positions on its test probabilities (the p head, when that policy reads p). */
  readonly positions?: Float64Array
  /** Wall time of its fit; null for a zero-shot model, never fitted. */
  readonly fitSeconds: number | null
  /** Wall time of scoring the test rows (view and prediction). */
  readonly testSeconds: number
}

const asOutputs = (p: Float64Array): Outputs => ({ n: p.length / K, p, classes: K })

/**
 * Every member of the window's chain alone: the p models (base_models order), then each other head's members, then
 * each multi-head target's.
 */
export function modelsAlone(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  yVal: Float64Array,
  scored: readonly Scored[],
  members: readonly FittedBase[],
  heads: readonly HeadResult[],
  targets: readonly TargetHeadResult[],
  headsTest: Outputs,
): AloneResult[] {
  const { config } = ctx
  const ts = data.bars.ts
  const specs = membersOf(config, 'p')
  // The chain scores its base models first, in members' order.
  const base = scored.filter((s) => s.kind === 'base')
  // A p model takes the chain's p in front of the primary policy; what else the policy reads is the run's. A policy
  // that does not read p (quantile; kelly on p_up) would trade every p model alike: none is traded then.
  const primary = policyList(config.policy)[0]
  const tradesP = policyNeeds(primary).includes('p')
  const market = policyMarket(config, data.bars, window.test, data.lf.vol)
  const p = members.map((m, k): AloneResult => {
    const s = base[k]
    if (s?.name !== m.name || s.testSeconds === undefined || m.fitSeconds === undefined)
      throw new Error(`compare: base model ${m.name} was not fitted and scored on its own`)
    const chain = fitPostProcessors(ctx, s.val, yVal, calibratorSteps(config.inference))
    const val = postProcess(chain, s.val, ts, window.val).p
    const test = postProcess(chain, s.test, ts, window.test).p
    return {
      name: m.name,
      index: specs[k].index,
      head: 'p',
      val: asOutputs(val),
      test: asOutputs(test),
      postProcessors: chain.map((c) => c.name),
      ...(tradesP ? { positions: decide(policyInputs(config, test, headsTest), market, primary) } : {}),
      fitSeconds: m.fitSeconds,
      testSeconds: s.testSeconds,
    }
  })
  const alone = (m: HeadMember, o: MemberOutputs, head: Head, target?: TargetSpec): AloneResult => ({
    name: m.name,
    index: m.index,
    head,
    ...(target ? { target } : {}),
    val: o.val,
    test: o.test,
    postProcessors: [],
    fitSeconds: m.fitSeconds ?? null,
    testSeconds: o.testSeconds,
  })
  return [
    ...p,
    ...heads.flatMap((h) => h.members.map((m, k) => alone(m, h.memberOutputs[k], h.head))),
    ...targets.flatMap((t) => t.members.map((m, k) => alone(m, t.memberOutputs[k], t.spec.head, t.spec))),
  ]
}

/** Log-loss, accuracy, AUCs (up against the rest, and directional) and top-label ECE of class probabilities. */
function probabilityMetrics(p: Float64Array, y: Float64Array): Record<string, number> {
  return { rows: y.length, ...splitMetrics(p, y), ece: topLabelCalibration(p, y, K).ece }
}

/** The headline of a backtest: what the comparison table shows of it, the Sharpe ratio with its interval. */
function backtestHeadline(m: BacktestOutcome['metrics'], intervals: BootstrapRecord): Record<string, number> {
  const all = metricsWithIntervals(m, intervals)
  const keep = ['total_return', 'sharpe', 'sharpe_lo', 'sharpe_hi', 'win_rate', 'max_drawdown', 'trades']
  return Object.fromEntries(keep.filter((k) => k in all).map((k) => [k, all[k]]))
}

const sumOf = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0)

/**
 * The comparison table over all windows (each model's outputs concatenated in time order, its fit times summed, its
 * test scoring time per test row), then the run's own chain of each head that is more than one member alone; null
 * without evaluation.compare.
 */
export function comparisonRecords(
  ctx: RunContext,
  data: RunData,
  results: readonly WindowResult[],
  stream: TestStream,
  backtest: readonly BacktestOutcome[],
): ComparisonRecord[] | null {
  const first = results[0]
  if (!first.alone) return null
  const { config } = ctx
  const testRows = stream.rows.length
  const headIndex = (head: Head) => first.heads.findIndex((h) => h.head === head)
  const targetIndex = (column: string) => first.targets.findIndex((t) => t.spec.column === column)
  const alone = first.alone.map((a, j): ComparisonRecord => {
    const each = results.map((r) => r.alone![j])
    const fits = each.map((e) => e.fitSeconds)
    const common = {
      model: a.name,
      kind: 'alone' as const,
      index: a.index,
      head: a.target ? a.target.column : headName(a.head),
      postProcessors: [...a.postProcessors],
      fitSeconds: fits.every((s) => s !== null) ? sumOf(fits as number[]) : null,
      inferUsPerRow: (sumOf(each.map((e) => e.testSeconds)) * 1e6) / testRows,
    }
    if (a.head === 'p') {
      const pick = (split: 'val' | 'test') => concat(each.map((e) => e[split].p!))
      const positions = a.positions ? concat(each.map((e) => e.positions!)) : null
      const bt =
        positions &&
        runBacktest(data.bars, positions, stream.rows, config.labels.tripleBarrier.maxHolding, config.backtest)
      return {
        ...common,
        metrics: {
          val: probabilityMetrics(pick('val'), concat(results.map((r) => r.yTrue.val))),
          test: probabilityMetrics(pick('test'), stream.y),
        },
        backtest: bt
          ? backtestHeadline(backtestMetrics(bt), backtestIntervals(ctx, data, bt, policyList(config.policy)[0].kind))
          : null,
      }
    }
    if (a.target) {
      const spec = a.target
      const t = targetIndex(spec.column)
      const column = spec.task === 'binary' ? 'p_up' : 'E_r'
      const pick = (split: 'val' | 'test') => concat(each.map((e) => e[split][column]!))
      const y = (split: 'yVal' | 'yTest') => concat(results.map((r) => r.targets[t][split]))
      return {
        ...common,
        metrics: {
          val: targetMetrics(spec, pick('val'), y('yVal')),
          test: targetMetrics(spec, pick('test'), y('yTest')),
        },
        backtest: null,
      }
    }
    const h = headIndex(a.head)
    const metrics = headMetrics(a.head)
    const y = (split: 'yVal' | 'yTest') => concat(results.map((r) => r.heads[h][split]))
    return {
      ...common,
      metrics: {
        val: metrics(concatHeadOutputs(each.map((e) => e.val)), y('yVal')),
        test: metrics(concatHeadOutputs(each.map((e) => e.test)), y('yTest')),
      },
      backtest: null,
    }
  })
  return [...alone, ...chainRecords(results, stream, backtest[0])]
}

/**
 * The run's own outputs of each head whose chain is more than one member alone: the p head with an ensemble (its
 * final probabilities and the run's backtest), another head with several members or an uncertainty method.
 */
function chainRecords(
  results: readonly WindowResult[],
  stream: TestStream,
  backtest: BacktestOutcome,
): ComparisonRecord[] {
  const first = results[0]
  const chain = {
    kind: 'chain' as const,
    index: null,
    fitSeconds: null,
    inferUsPerRow: null,
  }
  const rows: ComparisonRecord[] = []
  if (first.combination) {
    // The last scored entry is the final model of the chain: the combination, post-processed when calibrated.
    const last = first.scored.length - 1
    rows.push({
      ...chain,
      model: first.combination.name,
      head: 'p',
      postProcessors: first.postProcessors.map((p) => p.name),
      metrics: {
        val: probabilityMetrics(
          concat(results.map((r) => r.scored[last].val)),
          concat(results.map((r) => r.yTrue.val)),
        ),
        test: probabilityMetrics(stream.p, stream.y),
      },
      backtest: backtestHeadline(backtest.metrics, backtest.intervals),
    })
  }
  // A target has no post-processors: its chain is more than one model alone only with several members.
  const records = [...headRecords(results), ...targetRecords(results)]
  const combined = [
    ...first.heads.map((h) => h.members.length > 1 || h.postProcessors.length > 0),
    ...first.targets.map((t) => t.members.length > 1),
  ]
  records.forEach((r, j) => {
    if (!combined[j]) return
    rows.push({
      ...chain,
      model: r.model,
      head: r.head,
      postProcessors: r.postProcessors,
      metrics: { val: r.metrics.val, test: r.metrics.test },
      backtest: null,
    })
  })
  return rows
}
