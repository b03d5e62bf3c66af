#!/usr/bin/env node
// Every preset on the built-in sample (or --data FILE): two runs give the same bundle checksum, `mlf predict` from the
// bundle alone reproduces the run's test predictions line for line (for walk-forward, the last window's: the bundle
// is that window's chain), and runs with shuffled labels give a test directional AUC within 0.02 of 0.5 on average.
// The canary is run with CANARY_SEEDS seeds (default 3) and judged on their mean: one shuffle's AUC spreads by about
// 0.015 around 0.5 on the sample even without leakage (test labels overlap and features are autocorrelated, so the
// test holds far fewer independent rows than it has rows), and the mean of independent shuffles spreads less.
// Usage: npm run build && node scripts/preset-checks.mjs [--data FILE] [preset ...]
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const cli = join(root, 'dist/src/cli/main.js')
const args = process.argv.slice(2)
const dataAt = args.indexOf('--data')
const data =
  dataAt >= 0 ? resolve(args.splice(dataAt, 2)[1]) : join(root, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
const presets = args.length
  ? args
  : readdirSync(join(root, 'configs/presets'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))

function mlf(...argv) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 })
  if (r.status !== 0) throw new Error(`mlf ${argv.join(' ')} failed:\n${r.stderr}`)
  return { out: r.stdout, seconds: (performance.now() - t0) / 1000 }
}

const seeds = Array.from({ length: Number(process.env.CANARY_SEEDS ?? 3) }, (_, i) => i + 1)

/** The preset with another seed (its YAML with the seed line replaced), in `dir`. */
function withSeed(config, seed, dir) {
  const text = readFileSync(config, 'utf8')
  if (!/^seed: \d+$/m.test(text)) throw new Error(`${config}: no top-level seed line to vary`)
  const path = join(dir, `seed-${seed}.yaml`)
  writeFileSync(path, text.replace(/^seed: \d+$/m, `seed: ${seed}`))
  return path
}

const body = (csv) => csv.trim().split('\n').slice(1)
let failed = 0
for (const preset of presets) {
  const config = join(root, 'configs/presets', `${preset}.yaml`)
  const dir = mkdtempSync(join(tmpdir(), `mlf-preset-${preset}-`))
  const a = mlf('run', config, '--data', data, '--out', join(dir, 'a'), '--json')
  const b = mlf('run', config, '--data', data, '--out', join(dir, 'b'), '--json')
  const sa = JSON.parse(a.out)
  const sb = JSON.parse(b.out)
  const runDir = join(dir, 'a', sa.run_id)
  const preds = join(dir, 'predict.csv')
  mlf('predict', '--bundle', join(runDir, 'bundle'), '--data', data, '--out', preds, '--checksum', sa.bundle_checksum)
  const scored = new Map(body(readFileSync(preds, 'utf8')).map((l) => [l.split(',')[0], l]))
  const windows = sa.evaluation.windows
  const from = sa.evaluation.method === 'walk_forward' ? Date.parse(windows.at(-1).testStart) : -Infinity
  const runLines = body(readFileSync(join(runDir, 'predictions', 'test.csv'), 'utf8')).filter(
    (l) => Date.parse(l.split(',')[0]) >= from,
  )
  const mismatched = runLines.filter((l) => scored.get(l.split(',')[0]) !== l).length
  const canaries = seeds.map(
    (seed) =>
      JSON.parse(
        mlf('run', withSeed(config, seed, dir), '--data', data, '--out', join(dir, 'c'), '--json', '--shuffle-labels')
          .out,
      ).canary.test_auc,
  )
  const canary = canaries.reduce((s, a) => s + a, 0) / canaries.length
  const ok =
    sa.bundle_checksum === sb.bundle_checksum &&
    mismatched === 0 &&
    runLines.length > 0 &&
    Math.abs(canary - 0.5) <= 0.02
  if (!ok) failed++
  process.stdout.write(
    `${ok ? 'ok  ' : 'FAIL'} ${preset.padEnd(18)} run ${a.seconds.toFixed(1)} s / ${b.seconds.toFixed(1)} s  ` +
      `same checksum ${sa.bundle_checksum === sb.bundle_checksum} (${sa.bundle_checksum.slice(0, 12)})  ` +
      `predict reproduces ${runLines.length - mismatched}/${runLines.length}  ` +
      `test AUC ${sa.canary.test_auc.toFixed(4)}  shuffled-label AUC ${canary.toFixed(4)} ` +
      `(seeds ${seeds.join(', ')}: ${canaries.map((a) => a.toFixed(4)).join(', ')})\n`,
  )
}
process.exit(failed ? 1 : 0)
