/**
 * The lines `mlf run` opens its summary with: the acceptance verdict and its test period, the sentence of a run
 * without an edge, each gate, the headline statistics with their intervals, and the canary line.
 */
import { sharpeText } from '../backtest/bootstrap.js'
import type { RunSummary } from '../pipeline/run.js'

const pct = (x: number) => `${(100 * x).toFixed(2)}%`
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

const gateValue = (gate: string, v: number | null) =>
  v === null ? 'n/a' : gate === 'trades' ? String(v) : gate === 'max_drawdown' ? pct(v) : v.toFixed(4)

const threshold = (gate: string, t: number) => (gate === 'max_drawdown' ? pct(t) : String(t))

/** One line: does the model beat its own shuffled-label control? */
export function canaryLine(c: RunSummary['canary']): string {
  const auc = c.test_auc.toFixed(4)
  if (c.shuffled_labels) return `canary: trained on shuffled labels, test AUC ${auc} (should be near 0.5)`
  if (c.control_auc === undefined) return `canary: test AUC ${auc}; no shuffled-label control (${c.no_control})`
  const verb = c.beats_control ? 'beats' : 'does not beat'
  return (
    `canary: the model's test AUC ${auc} ${verb} its shuffled-label control's ${c.control_auc.toFixed(4)} ` +
    `(one refit of the primary member per window: ${(c.control_seconds ?? 0).toFixed(1)} s)`
  )
}

export function verdictLines(s: RunSummary): string[] {
  const a = s.acceptance
  if (!a) return [canaryLine(s.canary)]
  const failing = a.gates.filter((g) => !g.pass).map((g) => g.gate)
  const period = `${a.test_period.start.slice(0, 10)} to ${a.test_period.end.slice(0, 10)}`
  const lines = [
    `verdict ${a.verdict} on the test period ${period} (${plural(a.test_period.days, 'day')})` +
      (failing.length ? `: ${failing.length} of ${a.gates.length} gates fail (${failing.join(', ')})` : ''),
  ]
  if (a.no_edge) lines.push(a.no_edge)
  lines.push(`  ${'gate'.padEnd(16)} ${'value'.padStart(9)}  ${'threshold'.padStart(11)}  result`)
  for (const g of a.gates) {
    const note = g.note && (g.value === null || g.gate === 'deflated_sharpe') ? `  (${g.note})` : ''
    lines.push(
      `  ${g.gate.padEnd(16)} ${gateValue(g.gate, g.value).padStart(9)}  ${`${g.op} ${threshold(g.gate, g.threshold)}`.padStart(11)}  ${g.pass ? 'PASS' : 'FAIL'}${note}`,
    )
  }
  const i = a.intervals
  const bt = s.backtest
  if ('reason' in i) lines.push(`  Sharpe ${sharpeText(bt)}: no interval, ${i.reason}`)
  else {
    const ci = (x: { lo: number; hi: number }, f: (v: number) => string) => `[${f(x.lo)}, ${f(x.hi)}]`
    lines.push(
      `  Sharpe ${bt.sharpe.toFixed(2)} ${ci(i.sharpe, (v) => v.toFixed(2))}  return ${pct(bt.total_return)} ${ci(i.total_return, pct)}  ` +
        `win rate ${pct(bt.win_rate)} ${i.hit_rate ? ci(i.hit_rate, pct) : '[no trades]'}  from ${plural(a.trades, 'trade')}`,
      `  (${Math.round(100 * i.confidence)}% intervals: circular block bootstrap over ${i.days} test days, ` +
        `${plural(i.block_days, 'day')} per block, ${i.resamples} resamples)`,
    )
  }
  lines.push(canaryLine(s.canary))
  return lines
}
