import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot, tempDir, tempFile } from '../helpers.js'

/** Weekday daily bars of a seeded random walk, as CSV (a run on them takes seconds). */
function dailyCsv(days: number): string {
  let a = 11
  const rand = () => {
    a = (a * 1103515245 + 12345) % 2147483648
    return a / 2147483648
  }
  const lines = ['ts_utc,open,high,low,close,volume']
  let close = 100
  for (let ts = Date.UTC(2015, 0, 5), n = 0; n < days; ts += 86_400_000) {
    const dow = new Date(ts).getUTCDay()
    if (dow === 0 || dow === 6) continue
    const open = close * (1 + (rand() - 0.5) * 0.004)
    close = open * (1 + (rand() - 0.49) * 0.03)
    const high = Math.max(open, close) * (1 + rand() * 0.01)
    const low = Math.min(open, close) * (1 - rand() * 0.01)
    lines.push(`${new Date(ts).toISOString()},${open},${high},${low},${close},${Math.round(1e6 * (1 + rand()))}`)
    n++
  }
  return `${lines.join('\n')}\n`
}

const CONFIG = `seed: 7
threads: 1
data: { interval: 1d }
labels: { tripleBarrier: { maxHolding: 10 } }
base_models:
  - { name: xgboost, config: { n_estimators: 20, max_depth: 3, early_stopping_rounds: 5 } }
`

function mlfRun(...flags: string[]) {
  return mlfRunWith(CONFIG, ...flags)
}

function mlfRunWith(configText: string, ...flags: string[]) {
  const data = tempFile('daily.csv', dailyCsv(1200))
  const config = tempFile('daily.yaml', configText)
  // Piped stdout and stderr (not a terminal), outside CI: progress is status lines on stderr.
  return spawnSync(
    process.execPath,
    [join(repoRoot, 'dist/src/cli/main.js'), 'run', config, '--data', data, '--out', tempDir(), ...flags],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, CI: '' } },
  )
}

test('mlf run --json piped: stdout is the JSON summary alone, progress lines go to stderr', () => {
  const r = mlfRun('--json')
  assert.equal(r.status, 0, r.stderr)
  const summary = JSON.parse(r.stdout) as { rows: number }
  assert.equal(summary.rows, 1200)
  assert.match(r.stderr, /^\[mlf\] fit xgboost: done, \d+ rounds in \d+s$/m)
})

test('mlf run --quiet piped: no progress on stderr and no stage log, the summary still prints', () => {
  const r = mlfRun('--quiet')
  assert.equal(r.status, 0, r.stderr)
  assert.doesNotMatch(r.stderr, /\[mlf\]/)
  assert.doesNotMatch(r.stdout, /^mlf run: /m)
  assert.match(r.stdout, /backtest \(test split, after fees and slippage\)/)
})

test('mlf run with evaluation.compare prints the comparison: each model alone with its trades and times, then the chain', () => {
  const r = mlfRunWith(
    `${CONFIG}  - { name: logistic }
ensemble: { kind: voting }
evaluation: { compare: true }
`,
    '--quiet',
  )
  assert.equal(r.status, 0, r.stderr)
  const table = r.stdout.split(/^comparison .*$/m)[1]?.split(/\n\n/)[0] ?? ''
  const rows = table
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/ {2,}/))
  assert.deepEqual(
    rows.map((c) => c.slice(0, 3)),
    [
      ['xgboost', 'p', 'alone'],
      ['logistic', 'p', 'alone'],
      ['voting', 'p', 'chain'],
    ],
  )
  for (const c of rows) assert.match(c.slice(3, 6).join(' '), /^log_loss \d\.\d{4} auc_dir \d\.\d{4} ece \d\.\d{4}$/)
  // Sharpe with its interval and trades, and the times of a model alone; a chain's cost is its members'.
  const sharpe = String.raw`-?\d+\.\d\d \[(-?\d+\.\d\d, -?\d+\.\d\d|no interval)\] \(\d+ trades?\)`
  for (const c of rows.slice(0, 2)) assert.match(c.slice(6).join(' '), new RegExp(`^${sharpe} \\d+\\.\\d \\d+\\.\\d$`))
  assert.match(rows[2].slice(6).join(' '), new RegExp(`^${sharpe} - -$`))
})

test('mlf run opens with the verdict; --fail-on-gates exits with status 2 on FAIL, without it the status is 0', () => {
  const plain = mlfRun('--quiet')
  assert.equal(plain.status, 0, plain.stderr)
  const verdict = /^\nverdict (PASS|FAIL) on the test period \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(\d+ days\)/.exec(
    plain.stdout,
  )
  assert.ok(verdict, plain.stdout.slice(0, 300))
  assert.match(
    plain.stdout,
    /\ncanary: the model's test AUC \d\.\d{4} (beats|does not beat) its shuffled-label control's/,
  )
  const gated = mlfRun('--quiet', '--fail-on-gates')
  assert.equal(gated.status, verdict[1] === 'FAIL' ? 2 : 0, gated.stderr)
  assert.equal(gated.stdout.split('\n')[1], plain.stdout.split('\n')[1])
})
