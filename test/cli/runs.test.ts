import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openRunStore } from '../../src/tracking/store.js'
import { variedRun } from '../tracking/fixture.js'
import { repoRoot, tempDir } from '../helpers.js'

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 60_000 })

function storeWith(n: number): string {
  const path = join(tempDir(), 'mlf.sqlite')
  const store = openRunStore(path)
  for (let i = 0; i < n; i++) store.record(variedRun(i))
  store.close()
  return path
}

/** Compare with test/golden/cli/<name>; MLF_UPDATE_GOLDEN=1 rewrites the file instead (then review the diff). */
function golden(name: string, actual: string): void {
  const path = join(repoRoot, 'test/golden/cli', name)
  if (process.env.MLF_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.MLF_UPDATE_GOLDEN !== '1')
      assert.fail(`golden file ${path} is missing (MLF_UPDATE_GOLDEN=1 writes it)`)
    writeFileSync(path, actual)
    return
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from ${path}`)
}

test('mlf runs: list, filtered and sorted, and show match their golden output', () => {
  const store = storeWith(12)
  const list = mlf('runs', '--store', store)
  assert.equal(list.status, 0, list.stderr)
  golden('runs-list.txt', list.stdout)
  const filtered = mlf(
    'runs',
    'list',
    '--store',
    store,
    '--where',
    "sharpe > 0 and preset in ('tabular_stacking', 'fast_baseline')",
    '--sort',
    '-sharpe',
    '--columns',
    'run_id,preset,sharpe,trades,e_r_mae',
  )
  assert.equal(filtered.status, 0, filtered.stderr)
  golden('runs-where.txt', filtered.stdout)
  const show = mlf('runs', 'show', 'run-0003', '--store', store)
  assert.equal(show.status, 0, show.stderr)
  golden('runs-show.txt', show.stdout)
  const json = mlf('runs', '--store', store, '--json', '--where', 'trades > 500', '--columns', 'run_id,trades')
  const rows = JSON.parse(json.stdout) as { run_id: string; trades: number }[]
  assert.ok(rows.length > 0 && rows.every((r) => r.trades > 500))
})

test('mlf runs diff prints only what differs (golden output)', () => {
  const store = storeWith(6)
  const r = mlf('runs', 'diff', 'run-0001', 'run-0005', '--store', store)
  assert.equal(r.status, 0, r.stderr)
  golden('runs-diff.txt', r.stdout)
  const same = mlf('runs', 'diff', 'run-0001', 'run-0001', '--store', store)
  assert.match(same.stdout, /^config: all \d+ the same\n\nmetrics: all \d+ the same\n$/)
})

test('mlf runs: bad filters, unknown runs and rm without --yes off a terminal fail with clear messages', () => {
  const store = storeWith(3)
  const bad = mlf('runs', '--store', store, '--where', 'sharpee > 1')
  assert.equal(bad.status, 1)
  assert.match(
    bad.stderr,
    /^mlf: --where: unknown column "sharpee" at character 1\n {2}sharpee > 1\n {2}\^\ndid you mean "sharpe"\?/,
  )
  assert.match(mlf('runs', 'show', 'nope', '--store', store).stderr, /mlf: no run "nope" in the store/)
  const missing = join(tempDir(), 'none.sqlite')
  assert.match(
    mlf('runs', '--store', missing).stderr,
    /mlf: no run store at .*none.sqlite; mlf run and mlf sweep write one/,
  )
  assert.ok(!existsSync(missing), 'listing does not create a store')
  const noTty = mlf('runs', 'rm', 'run-0001', '--store', store)
  assert.equal(noTty.status, 1)
  assert.match(noTty.stderr, /pass --yes when not at a terminal/)
  const rm = mlf('runs', 'rm', 'run-0001', 'run-0002', '--yes', '--store', store)
  assert.equal(rm.status, 0, rm.stderr)
  assert.match(rm.stdout, /removed 2 runs from /)
  assert.match(mlf('runs', '--store', store).stdout, /run-0000[^\n]*\n {2}1 run\n$/)
})
