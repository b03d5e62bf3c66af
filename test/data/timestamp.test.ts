import { test } from 'node:test'
import assert from 'node:assert/strict'
import { daysFromCivil, epochIsWholeMinute, epochToMs, epochUnitOf, parseIso, wallToUtc } from '../../src/data/timestamp.js'

const at0 = (text: string) => Date.parse(text)
const iso = (s: string) => {
  const b = Buffer.from(s)
  const r = parseIso(b, 0, b.length)
  return typeof r === 'object' && r !== null ? { ...r } : r
}

test('daysFromCivil agrees with Date.UTC over four centuries', () => {
  for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2300, 0, 1); t += 86_400_000 * 13) {
    const d = new Date(t)
    assert.equal(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) * 86_400_000, t)
  }
})

test('parseIso reads the common ISO-8601 spellings', () => {
  const at = (text: string) => Date.parse(text)
  assert.deepEqual(iso('2023-08-01T00:01:00Z'), { wallMs: at('2023-08-01T00:01:00Z'), offsetMinutes: 0, wholeMinute: true })
  assert.deepEqual(iso('2023-08-01 00:01'), { wallMs: at('2023-08-01T00:01:00Z'), offsetMinutes: null, wholeMinute: true })
  assert.deepEqual(iso('2023-08-01T00:01:30.250+05:30'), { wallMs: at('2023-08-01T00:01:30.250Z'), offsetMinutes: 330, wholeMinute: false })
  assert.deepEqual(iso('2023-08-01T00:01:00-0500'), { wallMs: at('2023-08-01T00:01:00Z'), offsetMinutes: -300, wholeMinute: true })
  assert.equal(iso('1690848000'), null)
  assert.equal(iso('2023-08-01T00:00:00Q'), null)
})

test('parseIso says why a date or time does not exist instead of rolling it over', () => {
  assert.equal(iso('2023-09-31 00:00'), 'impossible date: September 2023 has 30 days, not day 31')
  assert.equal(iso('2023-02-29T00:00:00Z'), 'impossible date: February 2023 has 28 days, not day 29')
  assert.equal(typeof iso('2024-02-29T00:00:00Z'), 'object') // a leap year
  assert.equal(iso('2023-13-01T00:00:00Z'), 'impossible date: month 13')
  assert.equal(iso('2023-09-01 24:00'), 'impossible time: hour 24 (hours run 00-23)')
  assert.equal(iso('2023-09-01 09:60'), 'impossible time: minute 60 (minutes run 00-59)')
  assert.equal(iso('2023-09-01 09:59:60'), 'impossible time: second 60 (seconds run 00-59)')
  assert.deepEqual(iso('2023-09-01 09:20:00.0000001'), { wallMs: at0('2023-09-01T09:20:00Z'), offsetMinutes: null, wholeMinute: false })
})

test('epoch units are told apart by magnitude and converted to ms', () => {
  assert.equal(epochUnitOf(1690848000), 'epoch_s')
  assert.equal(epochUnitOf(1690848000000), 'epoch_ms')
  assert.equal(epochUnitOf(1690848000000000), 'epoch_us')
  assert.equal(epochUnitOf(1690848000000000000), 'epoch_ns')
  assert.equal(epochToMs(1690848000, 'epoch_s'), 1690848000000)
  assert.equal(epochToMs(1690848000123456, 'epoch_us'), 1690848000123)
  assert.equal(epochIsWholeMinute(1690848000, 'epoch_s'), true)
  assert.equal(epochIsWholeMinute(1690848000.0001, 'epoch_s'), false) // rounds to a whole-minute ms, still refused
  assert.equal(epochIsWholeMinute(1690848030000, 'epoch_ms'), false)
  assert.equal(epochIsWholeMinute(1690848000000000000, 'epoch_ns'), true)
})

test('wallToUtc converts fixed offsets and IANA zones across daylight saving', () => {
  assert.equal(wallToUtc('-05:00')(Date.UTC(2019, 0, 1, 12)), Date.UTC(2019, 0, 1, 17))
  const ny = wallToUtc('America/New_York')
  assert.equal(ny(Date.UTC(2019, 0, 15, 9, 30)), Date.UTC(2019, 0, 15, 14, 30)) // EST
  assert.equal(ny(Date.UTC(2019, 6, 15, 9, 30)), Date.UTC(2019, 6, 15, 13, 30)) // EDT
  // 2019-11-03 01:30 happens twice in New York; the earlier instant (EDT) is chosen.
  assert.equal(ny(Date.UTC(2019, 10, 3, 1, 30)), Date.UTC(2019, 10, 3, 5, 30))
  assert.throws(() => wallToUtc('Mars/Olympus'), /unknown timezone "Mars\/Olympus"/)
})
