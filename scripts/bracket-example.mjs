#!/usr/bin/env node
// The bracket example of issue 18 (docs/brackets.md): daily events on the built-in sample (or --data FILE), six ranges
// of where the next 00:00 UTC close settles around the prior close, one binary model per range trained through the
// library (mlf run trains only the triple-barrier head), each Platt-calibrated on dev, written as a predictions CSV
// for `mlf couple`. Prints a summary: events, drops and why, split sizes and purges, base rates, test log-loss.
// Usage: npm run build && node scripts/bracket-example.mjs [--data FILE] [--out preds.csv]
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const { ingestFile } = await import(join(root, 'dist/src/data/ingest.js'))
const { bracketPredictions, predictionsCsv } = await import(
  join(root, 'dist/src/inference/coupling/bracket-dataset.js')
)

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] ? resolve(args[at + 1]) : fallback
}
const data = flag('--data', join(root, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz'))
const out = flag('--out', resolve('preds.csv'))

const { bars } = await ingestFile(data)
const { rows, summary: s } = await bracketPredictions(bars, { brackets: { sigmaWindow: 14 } })
writeFileSync(out, predictionsCsv(rows))

const pct = (xs) => xs.map((x) => `${(100 * x).toFixed(0)}%`.padStart(4)).join(' ')
const drops = Object.entries(s.dropped)
  .filter(([, c]) => c > 0)
  .map(([r, c]) => `${r} ${c}`)
  .join(', ')
const f3 = (x) => x.toFixed(3)
process.stdout.write(
  [
    `${s.events} events of ${s.grid} decision times (dropped: ${drops || 'none'}); ${s.k} ranges, ${s.features} features`,
    `split train ${s.split.train} / dev ${s.split.dev} / test ${s.split.test} ` +
      `(purged: ${s.purged.train} train events whose settle meets dev or test, ${s.purged.dev} dev meeting test)`,
    `base rate r0..r${s.k - 1}  train ${pct(s.baseRate.train)}`,
    `                   dev   ${pct(s.baseRate.dev)}`,
    `                   test  ${pct(s.baseRate.test)}`,
    `test sum of the ${s.k} probabilities per event (min / mean / max): raw ${s.testSum.raw.map(f3).join(' / ')}, ` +
      `calibrated ${s.testSum.calibrated.map(f3).join(' / ')}`,
    `test log-loss (n ${s.split.test}): train base rates ${f3(s.testLogLoss.climatology)}, ` +
      `raw renormalised ${f3(s.testLogLoss.raw)}, calibrated renormalised ${f3(s.testLogLoss.calibrated)}`,
    `wrote ${rows.length} rows to ${out}`,
    // Tune on the dev events' raw probabilities: their p_calibrated is in-sample (Platt was fitted on them).
    `next: mlf couple --in ${out} --group event_date,timestamp --outcome bracket_key --p p_raw --label happened ` +
      `--method softmax_logit --tau auto --dev-fraction ${(s.split.dev / (s.split.dev + s.split.test)).toFixed(2)} ` +
      `--out coupled.csv (dev events tune, test events are scored; see docs/coupling.md)`,
    '',
  ].join('\n'),
)
