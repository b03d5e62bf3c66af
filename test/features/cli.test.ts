import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { sliceBars } from '../../src/data/bars.js'
import { parseFeaturesConfig, withAblation } from '../../src/features/config.js'
import { column, computeFeatures } from '../../src/features/frame.js'
import { FIL_FILE, loadBars, repoRoot } from './data.js'

const MAIN = resolve(repoRoot, 'dist/src/cli/main.js')

function mlf(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: repoRoot })
}

test('mlf features writes Parquet + schema, prints the count and hash; mlf audit leakage passes and exits 0', async (t) => {
  const all = await loadBars(FIL_FILE)
  if (!all) return void t.skip(`${FIL_FILE} is absent`)
  const bars = sliceBars(all, 0, 3_000)
  const dir = mkdtempSync(join(tmpdir(), 'mlf-features-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const csv = join(dir, 'bars.csv')
  const lines = ['ts_utc,open,high,low,close,volume']
  for (let i = 0; i < bars.length; i++) {
    lines.push(
      `${new Date(bars.ts[i]).toISOString()},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}`,
    )
  }
  writeFileSync(csv, `${lines.join('\n')}\n`)
  const out = join(dir, 'f.parquet')
  const r = mlf(['features', csv, '--out', out, '--ablate', 'wavelet'])
  assert.equal(r.status, 0, r.stderr)
  const expected = computeFeatures(bars, withAblation(parseFeaturesConfig({}), ['wavelet']))
  assert.match(r.stdout, new RegExp(`features: ${expected.names.length} `))
  assert.match(r.stdout, new RegExp(`schema hash: ${expected.schema.hash}`))
  const schema = JSON.parse(readFileSync(`${out}.schema.json`, 'utf8')) as { hash: string; names: string[] }
  assert.equal(schema.hash, expected.schema.hash)
  assert.ok(!schema.names.some((n) => n.startsWith('wav_')))
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  const reader = await conn.runAndReadAll(
    `SELECT usable, rsi_5m FROM read_parquet('${out.replace(/'/g, "''")}') ORDER BY ts_utc`,
  )
  const rows = reader.getRows()
  assert.equal(rows.length, bars.length)
  const rsi5 = column(expected, 'rsi_5m')
  for (const i of [0, 50, 100, 2_999]) {
    const v = rows[i][1] as number | null
    if (Number.isNaN(rsi5[i])) assert.equal(v, null, `row ${i}: warm-up is NULL, not 0`)
    else assert.equal(v, rsi5[i])
    assert.equal(rows[i][0], expected.usable[i])
  }
  conn.closeSync()

  const a = mlf(['audit', 'leakage', '--data', csv, '--rows', '0', '--cuts', '1', '--no-views'])
  assert.equal(a.status, 0, a.stdout + a.stderr)
  assert.match(a.stdout, /PASS: nothing at or before any T changed/)
  const bad = mlf(['features', csv, '--out', out, '--ablate', 'nonsense'])
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /--ablate nonsense: unknown feature group/)
})
