import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bracketGroups } from '../inference/coupling-data.js'
import { repoRoot, tempDir } from '../helpers.js'

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 120_000 })

const K = 4
const N = 200
const HEADER = 'event_date,timestamp,bracket_key,p_calibrated,price,happened,vol'

/**
 * N daily groups of K brackets from overconfident bracket models. Group 10 lacks bracket B3; the last 20 groups have
 * no label yet (empty). Prices are the true probabilities rounded, so the market column is the best of the three.
 */
function predictionsCsv(dir: string, edit: (lines: string[]) => void = () => {}): string {
  const d = bracketGroups(N, K, 5, { sharpness: 2, contextShift: 1 })
  const lines = [HEADER]
  for (let i = 0; i < N; i++) {
    const date = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)
    for (let j = 0; j < K; j++) {
      if (i === 10 && j === 2) continue
      const label = i >= N - 20 ? '' : d.y[i] === j ? '1' : '0'
      const p = d.p[i * K + j].toFixed(6)
      lines.push(`${date},15:00,B${j + 1},${p},${d.truth[i * K + j].toFixed(3)},${label},${d.context[i].toFixed(4)}`)
    }
  }
  edit(lines)
  const file = join(dir, 'preds.csv')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const base = (file: string, out: string) => [
  'couple',
  '--in',
  file,
  '--group',
  'event_date,timestamp',
  '--outcome',
  'bracket_key',
  '--p',
  'p_calibrated',
  '--label',
  'happened',
  '--out',
  out,
]

/** Sets field `column` of CSV line `index` (0: the header). */
function setField(lines: string[], index: number, column: number, value: string): void {
  lines[index] = lines[index]
    .split(',')
    .map((v, c) => (c === column ? value : v))
    .join(',')
}

/** Rows of the output CSV by group key, each with its fields. */
function outputGroups(out: string): Map<string, string[][]> {
  const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n')
  assert.equal(header, `${HEADER},p_coupled`)
  const groups = new Map<string, string[][]>()
  for (const row of rows) {
    const f = row.split(',')
    const key = `${f[0]},${f[1]}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  return groups
}

test('mlf couple: softmax_logit with tau auto reports coverage, tunes on dev only, and writes coupled groups', () => {
  const dir = tempDir()
  const file = predictionsCsv(dir)
  const out = join(dir, 'coupled.csv')
  const r = mlf(...base(file, out), '--price', 'price', '--method', 'softmax_logit', '--tau', 'auto')
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /200 groups of 4 outcomes \(B1, B2, B3, B4\): 199 coupled, 1 skipped \(not written\)/)
  assert.match(r.stdout, /group \(2024-01-11, 15:00\), line\(s\) 42, 43, 44: missing B3/)
  // 179 labelled complete groups: round(0.3 * 179) = 54 tune, the later 125 are scored.
  assert.match(r.stdout, /tuned on the first 54 labelled groups \(dev, lines 2-\d+\); metrics on the 125 later/)
  assert.match(r.stdout, /20 complete groups without labels: coupled, not scored/)
  assert.match(r.stdout, /log-loss\s+[\d.]+\s+[\d.]+\s+[\d.]+/)
  assert.match(r.stdout, /ECE B4/)
  const groups = outputGroups(out)
  assert.equal(groups.size, 199)
  assert.ok(!groups.has('2024-01-11,15:00'), 'the incomplete group is skipped')
  const input = readFileSync(file, 'utf8').split('\n')
  for (const [key, rows] of groups) {
    assert.equal(rows.length, K, key)
    const sum = rows.reduce((s, f) => s + Number(f[7]), 0)
    assert.ok(Math.abs(sum - 1) <= 1e-12, `${key} sums to ${sum}`)
    // The input row is written back verbatim before the new column.
    for (const f of rows) assert.ok(input.includes(f.slice(0, 7).join(',')))
  }
})

test('mlf couple --json: the summary, and coupling beats the renormalised raw probabilities on later groups', () => {
  const dir = tempDir()
  const file = predictionsCsv(dir)
  const out = join(dir, 'coupled.csv')
  const r = mlf(...base(file, out), '--method', 'softmax_logit', '--tau', 'auto', '--dev-fraction', '0.5', '--json')
  assert.equal(r.status, 0, r.stderr)
  const s = JSON.parse(r.stdout)
  assert.deepEqual(s.groups, {
    total: 200,
    coupled: 199,
    incomplete: 1,
    policy: 'skip',
    examples: [{ group: '2024-01-11, 15:00', lines: [42, 43, 44], missing: ['B3'] }],
  })
  assert.equal(s.rows_written, 199 * K)
  assert.equal(s.dev.groups, 90)
  assert.equal(s.scored, 89)
  assert.equal(s.state.method, 'softmax_logit')
  assert.ok(s.state.tau > 1.3, `overconfident bracket models: tau ${s.state.tau}`)
  assert.ok(s.metrics.coupled.log_loss < s.metrics.uncoupled.log_loss - 0.1, JSON.stringify(s.metrics))
  assert.equal(s.metrics.coupled.ece.length, K)
  assert.equal(s.metrics.market, undefined)
})

test('mlf couple --missing uncoupled writes the incomplete group with its raw probabilities', () => {
  const dir = tempDir()
  const file = predictionsCsv(dir)
  const out = join(dir, 'coupled.csv')
  const r = mlf(...base(file, out), '--method', 'dirichlet', '--alpha', '0.5', '--missing', 'uncoupled')
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /199 coupled, 1 left uncoupled \(p_coupled = p\)/)
  assert.match(r.stdout, /nothing tuned; metrics on all 179 labelled groups/)
  const rows = outputGroups(out).get('2024-01-11,15:00')!
  assert.equal(rows.length, 3)
  for (const f of rows) assert.equal(Number(f[7]), Number(f[3]))
})

test('mlf couple: pairwise and meta run end to end', () => {
  const dir = tempDir()
  const file = predictionsCsv(dir)
  const pairwise = mlf(...base(file, join(dir, 'a.csv')), '--method', 'pairwise', '--json')
  assert.equal(pairwise.status, 0, pairwise.stderr)
  const s = JSON.parse(pairwise.stdout)
  // With r_ij = p_i / (p_i + p_j) pairwise coupling is renormalisation: the two columns agree.
  assert.ok(Math.abs(s.metrics.coupled.log_loss - s.metrics.uncoupled.log_loss) < 1e-9)
  const meta = mlf(...base(file, join(dir, 'b.csv')), '--method', 'meta', '--context', 'vol', '--json')
  assert.equal(meta.status, 0, meta.stderr)
  const m = JSON.parse(meta.stdout)
  assert.equal(m.state.context, 1)
  assert.equal(m.state.calibration.method, 'temperature')
  assert.ok(m.metrics.coupled.log_loss < m.metrics.uncoupled.log_loss)
})

test('mlf couple refuses bad input with the file, line and column', () => {
  const dir = tempDir()
  const out = join(dir, 'coupled.csv')
  const run = (edit: (lines: string[]) => void, ...extra: string[]) => {
    const r = mlf(...base(predictionsCsv(dir, edit), out), ...extra)
    assert.notEqual(r.status, 0)
    return r.stderr
  }
  assert.match(
    run((l) => setField(l, 5, 3, '1.7')),
    /preds\.csv:6: p_calibrated "1\.7" is not a probability in \[0, 1\]/,
  )
  assert.match(
    run((l) => (l[3] = l[2])),
    /line 4: group \(2024-01-01, 15:00\) has outcome "B2" twice \(lines 3 and 4\)/,
  )
  assert.match(
    run((l) => [1, 1, 0, 0].forEach((v, j) => setField(l, 1 + j, 5, String(v)))),
    /group \(2024-01-01, 15:00\), lines 2, 3, 4, 5: 2 outcomes labelled 1/,
  )
  assert.match(
    run(() => {}, '--p', 'prob'),
    /--p prob: .*preds\.csv has no such column \(columns: event_date, timestamp/,
  )
  assert.match(
    run(() => {}, '--method', 'pairwise', '--tau', '2'),
    /--tau is for --method softmax_logit only/,
  )
  assert.match(
    run(() => {}, '--tau', 'hot'),
    /--tau must be auto or a positive number, not "hot"/,
  )
  assert.match(
    run((l) => l.push('2025-01-01,15:00,B1,0.5')),
    /preds\.csv:\d+: 4 fields, but the header names 7 columns/,
  )
  const noLabels = mlf(
    ...base(predictionsCsv(dir), out).filter((a) => a !== '--label' && a !== 'happened'),
    '--tau',
    'auto',
  )
  assert.notEqual(noLabels.status, 0)
  assert.match(noLabels.stderr, /softmax_logit with auto tunes on dev groups: it needs labelled groups \(--label\)/)
})
