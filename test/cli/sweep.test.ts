import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/config/load.js'
import { loadSweep, trialConfig } from '../../src/sweep/config.js'
import type { SweepResult } from '../../src/sweep/coordinator.js'
import { openRunStore } from '../../src/tracking/store.js'
import { trialsOf } from '../../src/tracking/sweeps.js'
import { repoRoot, tempDir } from '../helpers.js'
import { sampleSlice } from '../pipeline/fixture.js'
import { smallBase } from '../sweep/fixture.js'

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 300_000 })

test('mlf sweep: windows table, run store rows, summary, report and a chosen.yaml that mlf run loads as the choice', async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'base.yaml'), stringify(smallBase()))
  const file = join(dir, 'sweep.yaml')
  writeFileSync(
    file,
    stringify({
      base: 'base.yaml',
      data: await sampleSlice(9000),
      space: {
        'base_models.0.config.max_depth': { type: 'int', low: 2, high: 4 },
        'features.ablate': { type: 'choice', values: [[], ['volume']] },
      },
      sampler: { kind: 'tpe', startup_trials: 2 },
      batch: 2,
      budget: { trials: 4 },
      objective: { metric: 'log_loss' },
    }),
  )
  const out = join(dir, 'runs')
  const r = mlf('sweep', file, '--out', out, '--workers', '2')
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /sweep sweep-\S+: tpe, objective log_loss \(minimize\) on each window's validation slice/)
  assert.match(r.stdout, /\n {2}all +4 +4 +0 +0 +#\d/)
  const id = readdirSync(join(out, 'sweeps'))[0]
  const result = JSON.parse(readFileSync(join(out, 'sweeps', id, 'summary.json'), 'utf8')) as SweepResult
  assert.equal(result.sweepId, id)
  assert.ok(existsSync(join(out, 'sweeps', id, 'report.html')))
  const store = openRunStore(join(out, 'mlf.sqlite'))
  assert.equal(trialsOf(store, id).length, 4)
  assert.equal(store.db.prepare('SELECT status FROM sweeps WHERE sweep_id = ?').pluck().get(id), 'complete')
  store.close()
  const chosen = loadConfig(join(out, 'sweeps', id, 'chosen.yaml'))
  assert.equal(chosen.hash, trialConfig(loadSweep(file), result.chosen!.params).hash)
})

test('mlf sweep and mlf worker refuse bad input with a clear message', () => {
  const dir = tempDir()
  const file = join(dir, 'bad.yaml')
  writeFileSync(
    file,
    `base: {}\nspace:\n  seed: {type: int, low: 1, high: 3}\nbudget: {trials: 2}\nobjective: {metric: log_loss}\n`,
  )
  const bad = mlf('sweep', file)
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /bad\.yaml:3: space\.seed: seed cannot be searched/)
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace')
  const queue = mlf('worker', '--queue', 'http://localhost:1')
  assert.equal(queue.status, 1)
  assert.match(queue.stderr, /--queue http:\/\/localhost:1: only redis:\/\/ queues are supported/)
  const both = mlf('sweep', file, '--queue', 'redis://127.0.0.1:1', '--workers', '2')
  assert.match(both.stderr, /--workers is for local trials/)
})
