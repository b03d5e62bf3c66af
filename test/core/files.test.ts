import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processAlive, removeStaleTemps, tempPathFor, writeFileAtomic } from '../../src/core/files.js'
import { tempDir } from '../helpers.js'

// Above the largest pid Linux hands out (2^22), so never a running process.
const DEAD_PID = 2 ** 22 + 11

test('writeFileAtomic replaces a file whole and removes the temps that dead writers left beside it', async () => {
  const dir = tempDir()
  const out = join(dir, 'features.parquet')
  writeFileSync(`${out}.tmp-${DEAD_PID}-1f`, 'half')
  writeFileSync(`${out}.tmp-${process.ppid}-1f`, 'a live writer')
  // Our own pid with another mark: an earlier process that had this pid (pids are reused; pid 1 in containers).
  writeFileSync(`${out}.tmp-${process.pid}-1f`, 'half, from an earlier life of this pid')
  writeFileSync(join(dir, `other.csv.tmp-${DEAD_PID}-1f`), 'not ours')
  await writeFileAtomic(out, 'whole')
  assert.equal(readFileSync(out, 'utf8'), 'whole')
  assert.deepEqual(readdirSync(dir).sort(), [
    'features.parquet',
    `features.parquet.tmp-${process.ppid}-1f`,
    `other.csv.tmp-${DEAD_PID}-1f`,
  ])
  assert.deepEqual(await removeStaleTemps(dir), [`other.csv.tmp-${DEAD_PID}-1f`])
  assert.ok(existsSync(`${out}.tmp-${process.ppid}-1f`))
  // This process's own temp is never taken for a stale one.
  writeFileSync(tempPathFor(out), 'being written')
  assert.deepEqual(await removeStaleTemps(dir), [])
  assert.ok(processAlive(process.pid) && !processAlive(DEAD_PID))
})
