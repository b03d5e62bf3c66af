import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mlflowRunUuid } from '../../src/tracking/mlflow.js'
import { openRunStore } from '../../src/tracking/store.js'
import { variedRun } from '../tracking/fixture.js'
import { repoRoot, tempDir } from '../helpers.js'

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 60_000 })

test('mlf export mlflow writes the run, with its folder as artifacts, and names the store to open', () => {
  const runs = tempDir()
  const storePath = join(runs, 'mlf.sqlite')
  const store = openRunStore(storePath)
  store.record(variedRun(4))
  store.close()
  mkdirSync(join(runs, 'run-0004'))
  writeFileSync(join(runs, 'run-0004', 'report.html'), '<!doctype html>')
  const to = join(tempDir(), 'mlruns')
  const r = mlf('export', 'mlflow', 'run-0004', '--store', storePath, '--to', to)
  assert.equal(r.status, 0, r.stderr)
  const runDir = join(to, '0', mlflowRunUuid('run-0004'))
  assert.match(r.stdout, new RegExp(`exported run-0004 to ${runDir}: 7 params, \\d+ metrics, 2 artifact files`))
  assert.ok(existsSync(join(runDir, 'artifacts', 'report.html')))
  const missing = mlf('export', 'mlflow', 'run-9', '--store', storePath, '--to', to)
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /^mlf: no run "run-9" in the store/)
})
