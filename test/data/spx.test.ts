import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { ValidationError } from '../../src/data/validate.js'
import { SHARED_MISSING, SPX } from '../helpers.js'

test('SPX: the duplicated hour of 2019-10-28 is found, gaps are classified, 618,735 rows before policy', async (t) => {
  if (!existsSync(SPX)) return t.skip(SHARED_MISSING)
  const err = await ingestFile(SPX).then(
    () => assert.fail('default policy must fail on the backward step'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof ValidationError)
  const r = err.report
  assert.equal(r.rows, 618_735)
  assert.equal(r.backward_steps, 1)
  const step = r.findings.find((f) => f.kind === 'backward_step')!
  assert.equal(step.ts, '2019-10-28T00:00:00.000Z')
  assert.equal(r.duplicates.timestamps, 56)
  const dups = r.findings.filter((f) => f.kind === 'duplicate_exact' || f.kind === 'duplicate_conflict')
  assert.equal(dups.length, 56)
  assert.ok(dups.every((f) => f.ts.startsWith('2019-10-28T00:')))
  assert.match(err.message, /backward step.*line \d+ \(2019-10-28T00:00:00\.000Z/)
  // ~41k short gaps, daily breaks, and ~107 gaps over half a day (weekends and holidays).
  assert.ok(r.gaps.intraday > 40_000, `intraday ${r.gaps.intraday}`)
  assert.ok(r.gaps.session_break > 400, `session breaks ${r.gaps.session_break}`)
  assert.ok(r.gaps.weekend >= 100 && r.gaps.weekend <= 106, `weekends ${r.gaps.weekend}`)
  assert.equal(r.gaps.weekend + r.gaps.holiday, 107)

  const repaired = await ingestFile(SPX, dataConfigSchema.parse({ validation: { backward_step: 'repair' } }))
  assert.equal(repaired.bars.length, 618_735 - 56)
  for (let i = 1; i < repaired.bars.length; i++) assert.ok(repaired.bars.ts[i] > repaired.bars.ts[i - 1])
  assert.equal(repaired.report.fingerprint, r.fingerprint)
})
