import { test } from 'node:test'
import assert from 'node:assert/strict'
import { daysFromCivil, epochToMs, epochUnitOf, parseIso, wallToUtc } from '../../src/data/timestamp.js'

const iso = (s: string) => {
  const b = Buffer.from(s)
  const r = parseIso(b, 0, b.length)
  return r ? { ...r } : null
}

test('daysFromCivil agrees with Date.UTC over four centuries', () => {
  for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2300, 0, 1); t += 86_400_000 * 13) {
    const d = new Date(t)
    assert.equal(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) * 86_400_000, t)
  }
})

test('parseIso reads the common ISO-8601 spellings', () => {
  assert.deepEqual(iso('2023-08-01T00:01:00Z'), { wallMs: Date.parse('2023-08-01T00:01:00Z'), offsetMinutes: 0 })
  assert.deepEqual(iso('2023-08-01 00:01'), { wallMs: Date.parse('2023-08-01T00:01:00Z'), offsetMinutes: null })
  assert.deepEqual(iso('2023-08-01T00:01:30.250+05:30'), { wallMs: Date.parse('2023-08-01T00:01:30.250Z'), offsetMinutes: 330 })
  assert.deepEqual(iso('2023-08-01T00:01:00-0500'), { wallMs: Date.parse('2023-08-01T00:01:00Z'), offsetMinutes: -300 })
  assert.equal(iso('2023-13-01T00:00:00Z'), null)
  assert.equal(iso('1690848000'), null)
  assert.equal(iso('2023-08-01T00:00:00Q'), null)
})

test('epoch units are told apart by magnitude and converted to ms', () => {
  assert.equal(epochUnitOf(1690848000), 'epoch_s')
  assert.equal(epochUnitOf(1690848000000), 'epoch_ms')
  assert.equal(epochUnitOf(1690848000000000), 'epoch_us')
  assert.equal(epochUnitOf(1690848000000000000), 'epoch_ns')
  assert.equal(epochToMs(1690848000, 'epoch_s'), 1690848000000)
  assert.equal(epochToMs(1690848000123456, 'epoch_us'), 1690848000123)
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
