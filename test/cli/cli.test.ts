import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { SAMPLE, repoRoot, tempDir, tempFile } from '../helpers.js'

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 120_000 })

test('mlf ingest prints a summary, writes the JSON report and exits 0 on clean data', () => {
  const json = join(tempDir(), 'report.json')
  const r = mlf('ingest', SAMPLE, '--report-json', json)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /rows \(before policy\)\s+175680/)
  const report = JSON.parse(readFileSync(json, 'utf8'))
  for (const key of [
    'rows',
    'first_ts',
    'last_ts',
    'duplicates',
    'backward_steps',
    'ohlc_violations',
    'gaps',
    'fingerprint',
    'findings',
  ]) {
    assert.ok(key in report, key)
  }
})

test('mlf ingest exits non-zero with a clear message on bad input', () => {
  const bad = tempFile('bad.csv', 'ts_utc,open,high,low,close\n2024-01-01T00:00:00Z,1,x,1,1\n')
  const r = mlf('ingest', bad)
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, new RegExp(`mlf: ${bad}:2: high "x" is not a number`))
  const missing = mlf('ingest', '/nonexistent/bars.csv')
  assert.notEqual(missing.status, 0)
  assert.match(missing.stderr, /\/nonexistent\/bars.csv: no such file/)
})

test('mlf resample writes one file per timeframe', () => {
  const out = tempDir()
  const r = mlf('resample', SAMPLE, '--to', '5m,1h', '--out', out, '--format', 'csv')
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(readdirSync(out).sort(), ['1h.csv', '5m.csv'])
  const lines = readFileSync(join(out, '1h.csv'), 'utf8').trim().split('\n')
  assert.equal(lines.length, 1 + 2928)
  assert.equal(lines[1].split(',').at(-1), '60')
})
