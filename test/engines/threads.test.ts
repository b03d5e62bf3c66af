import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { createModel } from '../../src/models/registry.js'
import { xgboostAvailability } from '../../src/engines/xgboost/index.js'
import { scoringThreads } from '../../src/engines/threads.js'
import type { Dataset } from '../../src/models/contract.js'
import { loadConfig } from '../../src/config/load.js'
import { tempFile } from '../helpers.js'

const cores = availableParallelism()
const tooMany = new RegExp(
  `threads ${cores + 1} is more than this machine's ${cores} core\\(s\\) \\(os\\.availableParallelism\\(\\)\\)`,
)

/** A small three-class matrix dataset (plenty for a fit to start). */
function dataset(n: number, f: number): Dataset {
  const data = Float64Array.from({ length: n * f }, (_, k) => Math.sin(k * 0.37) + ((k * 7) % 11) / 11)
  const y = Float64Array.from({ length: n }, (_, i) => (data[i * f] > 0.8 ? 2 : data[i * f] > 0.2 ? 1 : 0))
  return { x: { kind: 'feature_matrix', n, f, data, names: Array.from({ length: f }, (_, j) => `x${j}`) }, y }
}

test('threads above the machine cores are refused at config load, naming the core count and the line', () => {
  const path = tempFile('threads.yaml', `seed: 1\nthreads: ${cores + 1}\n`)
  assert.throws(
    () => loadConfig(path),
    (err: Error) => {
      assert.match(err.message, new RegExp(`${path}:2: threads: `))
      assert.match(err.message, tooMany)
      return true
    },
  )
  assert.throws(
    () => loadConfig(tempFile('huge.yaml', 'threads: 100000\n')),
    /threads 100000 is more than this machine's/,
  )
  assert.equal(loadConfig(tempFile('ok.yaml', `threads: ${cores}\n`)).threads, cores)
})

test('a fit asked for more threads than cores is refused before any native pool starts; scoring is bounded', async (t) => {
  const task = { kind: 'multiclass', classes: 3 } as const
  const train = dataset(400, 4)
  const logistic = createModel('logistic', {}, task, 'test')
  await assert.rejects(logistic.fit(train, undefined, { seed: 1, threads: cores + 1 }), tooMany)
  assert.equal(scoringThreads(100_000), cores)
  assert.equal(scoringThreads(0), 1)
  if (!xgboostAvailability().ok) return void t.skip('xgboost is not installed')
  const xgb = createModel('xgboost', { n_estimators: 3 }, task, 'test')
  await assert.rejects(xgb.fit(train, undefined, { seed: 1, threads: cores + 1 }), tooMany)
})
