import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dataConfigSchema, readRawBars } from '../../src/data/ingest.js'
import { ValidationError, validateBars, validationPolicySchema, type ValidationPolicy } from '../../src/data/validate.js'
import { tempFile } from '../helpers.js'

const HEADER = 'ts_utc,open,high,low,close,volume\n'
const row = (min: number, o: number, h: number, l: number, c: number, v: number | '' = 1) =>
  `${new Date(Date.UTC(2024, 0, 2, 10, min)).toISOString()},${o},${h},${l},${c},${v}\n`

async function check(csv: string, policy: Partial<ValidationPolicy> = {}) {
  const raw = await readRawBars(tempFile('v.csv', HEADER + csv), dataConfigSchema.parse({}))
  return validateBars(raw, validationPolicySchema.parse(policy))
}

async function failure(csv: string, policy: Partial<ValidationPolicy> = {}): Promise<ValidationError> {
  try {
    await check(csv, policy)
  } catch (err) {
    if (err instanceof ValidationError) return err
    throw err
  }
  throw new Error('expected a ValidationError')
}

test('backward step: fails by default naming the line, drop and repair resolve it', async () => {
  const csv = row(0, 1, 1, 1, 1) + row(1, 2, 2, 2, 2) + row(3, 4, 4, 4, 4) + row(2, 3, 3, 3, 3) + row(4, 5, 5, 5, 5)
  const err = await failure(csv)
  assert.match(err.message, /1 backward step finding\(s\), first at line 5/)
  assert.equal(err.report.backward_steps, 1)
  const dropped = await check(csv, { backward_step: 'drop' })
  assert.deepEqual([...dropped.bars.close], [1, 2, 4, 5])
  assert.equal(dropped.report.findings.find((f) => f.kind === 'backward_step')!.action, 'dropped')
  const sorted = await check(csv, { backward_step: 'repair' })
  assert.deepEqual([...sorted.bars.close], [1, 2, 3, 4, 5])
})

test('exact duplicates are dropped by default; conflicting ones fail, or keep the first (repair), or go (drop)', async () => {
  const exact = await check(row(0, 1, 1, 1, 1) + row(0, 1, 1, 1, 1) + row(1, 2, 2, 2, 2))
  assert.equal(exact.report.duplicates.exact, 1)
  assert.equal(exact.bars.length, 2)
  assert.deepEqual(
    exact.report.findings.map((f) => [f.kind, f.row, f.action]),
    [['duplicate_exact', 3, 'dropped']],
  )
  const conflict = row(0, 1, 1, 1, 1) + row(0, 9, 9, 9, 9) + row(1, 2, 2, 2, 2)
  const err = await failure(conflict)
  assert.match(err.message, /duplicate conflict.*line 2/)
  assert.deepEqual([...(await check(conflict, { duplicate_conflict: 'repair' })).bars.close], [1, 2])
  assert.deepEqual([...(await check(conflict, { duplicate_conflict: 'drop' })).bars.close], [2])
})

test('OHLC violations and bad prices follow their policies; nothing is dropped silently', async () => {
  const csv = row(0, 10, 9, 8, 10) + row(1, 10, 11, 10.5, 10.2) + row(2, 10, 11, 9, 10)
  const err = await failure(csv)
  assert.equal(err.report.ohlc_violations, 2)
  const repaired = await check(csv, { ohlc_violation: 'repair' })
  assert.deepEqual([...repaired.bars.high], [10, 11, 11])
  assert.deepEqual([...repaired.bars.low], [8, 10, 9])
  assert.equal(repaired.report.repaired, 2)
  const kept = await check(csv, { ohlc_violation: 'keep' })
  assert.deepEqual([...kept.bars.high], [9, 11, 11])
  const bad = row(0, 10, 11, 9, 10) + row(1, 0, 11, 9, 10) + row(2, 10, 11, 9, 'NaN' as unknown as number)
  assert.equal((await failure(bad)).report.bad_prices, 2)
  const dropped = await check(bad, { bad_price: 'drop' })
  assert.equal(dropped.bars.length, 1)
  assert.equal(dropped.report.dropped, 2)
  assert.deepEqual(dropped.report.findings.map((f) => f.row), [3, 4])
})

test('prices outside [1e-12, 1e12] and volumes outside [0, 1e18] fail naming the line: features would overflow float32', async () => {
  const ok = row(0, 10, 11, 9, 10)
  const huge = await failure(ok + row(1, 10, 1e41, 9, 1e41) + row(2, 10, 11, 9, 10))
  assert.match(huge.message, /1 bad price finding\(s\), first at line 3 .*close=1e\+41\); set validation\.bad_price to drop/)
  const tiny = await failure(ok + row(1, 1e-14, 1e-14, 1e-14, 1e-14))
  assert.match(tiny.message, /1 bad price finding\(s\), first at line 3 .*open=1e-14/)
  const vol = await failure(ok + row(1, 10, 11, 9, 10, 1e40) + row(2, 10, 11, 9, 10, -5))
  assert.match(vol.message, /2 bad volume finding\(s\), first at line 3 .*volume 1e\+40 not in \[0, 1000000000000000000\]/)
  assert.equal(vol.report.bad_volumes, 2)
  const dropped = await check(ok + row(1, 10, 11, 9, 10, 1e40), { bad_volume: 'drop' })
  assert.equal(dropped.bars.length, 1)
  assert.deepEqual(dropped.report.findings.map((f) => [f.kind, f.row, f.action]), [['bad_volume', 3, 'dropped']])
  // The bounds themselves are valid prices and volumes.
  assert.equal((await check(ok + row(1, 1e12, 1e12, 1e-12, 1e-12, 1e18))).bars.length, 2)
  // A micro-priced token: prices near 1e-9, volumes near 1e16.
  assert.equal((await check(row(0, 2e-9, 3e-9, 1e-9, 2e-9, 4e16) + row(1, 2e-9, 2e-9, 2e-9, 2e-9, 1e16))).bars.length, 2)
})

test('missing volume is kept and reported by default, or repaired to 0, or failed', async () => {
  const csv = row(0, 1, 1, 1, 1, '') + row(1, 1, 1, 1, 1, 5)
  const kept = await check(csv)
  assert.equal(kept.report.missing_volume, 1)
  assert.ok(Number.isNaN(kept.bars.volume[0]))
  assert.equal((await check(csv, { missing_volume: 'repair' })).bars.volume[0], 0)
  await failure(csv, { missing_volume: 'fail' })
})

test('gaps are classified as intraday, session breaks (recurring), weekends and holidays, never filled', async () => {
  // 30 weekdays of a session 00:00-20:59 UTC, a 5-minute hole every day at 12:00, a holiday on day 10.
  let csv = ''
  const start = Date.UTC(2024, 0, 1) // a Monday
  for (let d = 0; d < 42; d++) {
    const day = new Date(start + d * 86_400_000)
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6 || d === 10) continue
    for (let m = 0; m < 21 * 60; m++) {
      if (m >= 720 && m < 725) continue
      const t = start + d * 86_400_000 + m * 60_000
      csv += `${new Date(t).toISOString()},1,1,1,1,1\n`
    }
  }
  const { bars, report } = await check(csv)
  const days = 30 - 1
  assert.equal(report.gaps.intraday, days)
  assert.equal(report.gaps.weekend, 5)
  assert.equal(report.gaps.holiday, 1)
  assert.equal(report.gaps.session_break, days - 1 - 5 - 1)
  assert.equal(bars.length, report.rows)
  assert.equal(report.findings.filter((f) => f.kind === 'gap').length, report.gaps.intraday + report.gaps.session_break + 6)
})
