import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processAlive, removeStaleTemps, writeFileAtomic } from '../../src/core/files.js'
import { tempDir } from '../helpers.js'

// Above the largest pid Linux hands out (2^22), so never a running process.
const DEAD_PID = 2 ** 22 + 11

test('writeFileAtomic replaces a file whole and removes the temps that dead writers left beside it', async () => {
  const dir = tempDir()
  const out = join(dir, 'features.parquet')
  writeFileSync(`${out}.tmp-${DEAD_PID}`, 'half')
  writeFileSync(`${out}.tmp-${process.ppid}`, 'a live writer')
  writeFileSync(join(dir, `other.csv.tmp-${DEAD_PID}`), 'not ours')
  await writeFileAtomic(out, 'whole')
  assert.equal(readFileSync(out, 'utf8'), 'whole')
  assert.deepEqual(readdirSync(dir).sort(), [
    'features.parquet',
    `features.parquet.tmp-${process.ppid}`,
    `other.csv.tmp-${DEAD_PID}`,
  ])
  assert.deepEqual(await removeStaleTemps(dir), [`other.csv.tmp-${DEAD_PID}`])
  assert.ok(existsSync(`${out}.tmp-${process.ppid}`))
  assert.ok(processAlive(process.pid) && !processAlive(DEAD_PID))
})
