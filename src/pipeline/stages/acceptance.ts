/**
 * Acceptance stage: the gates on the primary policy's test backtest and the final probabilities, the verdict, the
 * shuffled-label control's comparison, and the one sentence a run without an edge opens with.
 */
import { acceptanceGates } from '../../backtest/acceptance.js'
import { utcDay } from '../../backtest/metrics.js'
import { topLabelCalibration } from '../../inference/calibration/metrics.js'
import type { AcceptanceRecord, IntervalsRecord, RunRecord } from '../../tracking/types.js'
import { K } from '../predict.js'
import type { BacktestOutcome } from './backtest.js'
import type { WindowResult } from './chain.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import { concat, directionalAuc, type TestStream } from './evaluate.js'
import { noCanaryReason } from './canary.js'

export type CanaryRecord = NonNullable<RunRecord['canary']>

/** The run's test directional AUC and, when every window trained one, its shuffled-label control's. */
export function canaryRecord(ctx: RunContext, results: readonly WindowResult[], stream: TestStream): CanaryRecord {
  const testAuc = directionalAuc(stream.p, stream.y)
  const fits = results.map((r) => r.canary)
  const controlled = fits.every((c) => c !== null)
  return {
    shuffledLabels: ctx.config.control.shuffle_labels,
    testAuc,
    ...(controlled
      ? {
          controlAuc: directionalAuc(concat(fits.map((c) => c!.test)), stream.y),
          controlSeconds: fits.reduce((s, c) => s + c!.seconds, 0),
        }
      : { noControl: noCanaryReason(ctx.config) ?? 'no window trained one' }),
  }
}

const f3 = (x: number) => x.toFixed(3)

/** The one sentence of a run whose model shows no edge, or null when it shows one. */
export function noEdgeSentence(canary: CanaryRecord, intervals: IntervalsRecord): string | null {
  if (canary.controlAuc !== undefined && !(canary.testAuc > canary.controlAuc))
    return `No edge: the model's test AUC ${f3(canary.testAuc)} does not beat its shuffled-label control's ${f3(canary.controlAuc)}.`
  if (canary.controlAuc === undefined && !(canary.testAuc > 0.5))
    return `No edge: the model's test AUC ${f3(canary.testAuc)} is no better than chance (0.5).`
  if ('reason' in intervals)
    return `No demonstrated edge: ${intervals.reason}, too few to tell the Sharpe ratio from 0.`
  if (!(intervals.sharpe.lo > 0))
    return (
      `No demonstrated edge: the Sharpe ratio's ${Math.round(100 * intervals.confidence)}% interval ` +
      `[${intervals.sharpe.lo.toFixed(2)}, ${intervals.sharpe.hi.toFixed(2)}] over ${intervals.days} test days includes 0.`
    )
  return null
}

export function acceptanceStage(
  ctx: RunContext,
  data: RunData,
  stream: TestStream,
  primary: BacktestOutcome,
  canary: CanaryRecord,
): AcceptanceRecord {
  const gates = acceptanceGates(
    {
      ece: topLabelCalibration(stream.p, stream.y, K).ece,
      metrics: primary.metrics,
      returns: primary.result.returns,
    },
    ctx.config.acceptance,
  )
  const ts = data.bars.ts
  const first = ts[stream.rows[0]]
  const last = ts[stream.rows[stream.rows.length - 1]]
  return {
    verdict: gates.every((g) => g.pass) ? 'PASS' : 'FAIL',
    noEdge: noEdgeSentence(canary, primary.intervals),
    testPeriod: {
      start: new Date(first).toISOString(),
      end: new Date(last).toISOString(),
      days: utcDay(last) - utcDay(first) + 1,
    },
    gates,
    trades: primary.metrics.trades,
    intervals: primary.intervals,
  }
}
