import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ingestFile } from '../../../src/data/ingest.js'
import { bracketPredictions, predictionsCsv } from '../../../src/inference/coupling/bracket-dataset.js'
import { sampleFile } from '../../labels/helpers.js'

test('bracket example on the sample: one row per range and event, one outcome each, same bytes twice', async () => {
  const { bars } = await ingestFile(sampleFile)
  const options = { brackets: { sigmaWindow: 14 } }
  const a = await bracketPredictions(bars, options)
  const b = await bracketPredictions(bars, options)
  const csv = predictionsCsv(a.rows)
  assert.equal(csv, predictionsCsv(b.rows), 'deterministic')
  const s = a.summary
  assert.equal(s.grid, s.events + Object.values(s.dropped).reduce((x, y) => x + y, 0), 'every decision time counted')
  assert.equal(s.split.train + s.split.dev + s.split.test + s.purged.train + s.purged.dev, s.events)
  assert.ok(s.purged.train >= 1 && s.purged.dev >= 1, 'daily settles meet the next decision bar: purged')
  assert.equal(a.rows.length, (s.split.dev + s.split.test) * s.k)
  const byEvent = new Map<string, typeof a.rows>()
  for (const r of a.rows) byEvent.set(r.timestamp, [...(byEvent.get(r.timestamp) ?? []), r])
  assert.equal(byEvent.size, s.split.dev + s.split.test)
  for (const [ts, rows] of byEvent) {
    assert.deepEqual(
      rows.map((r) => r.bracket_key),
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'],
    )
    assert.equal(rows.filter((r) => r.happened === 1).length, 1, `${ts}: one range happened`)
    for (const r of rows) {
      assert.ok(r.p_raw > 0 && r.p_raw < 1 && r.p_calibrated > 0 && r.p_calibrated < 1, `${ts} ${r.bracket_key}`)
      assert.ok(r.lo < r.hi)
    }
    assert.ok(rows[0].lo === -Infinity && rows[5].hi === Infinity && rows[3].lo === rows[0].prior_close)
  }
  const dev = a.rows.filter((r) => r.split === 'dev').at(-1)!
  const test = a.rows.find((r) => r.split === 'test')!
  assert.ok(dev.timestamp < test.timestamp, 'dev before test')
  assert.match(csv.split('\n')[1], /^\d{4}-\d\d-\d\d,\S+Z,r0,,[\d.]+,/)
})
