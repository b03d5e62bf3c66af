import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPredictionCache } from '../../src/serve/prediction-cache.js'

test('the prediction cache keeps the last `capacity` entries per model, oldest first, readable by time', () => {
  const cache = createPredictionCache(3, ['primary'])
  assert.deepEqual(cache.since('primary', 0), [])
  assert.equal(cache.since('other', 0), undefined)
  for (let t = 1; t <= 5; t++)
    cache.add('primary', { ts: t, source: 'primary', neutral: false, outputs: { p_up: t / 10 } })
  cache.add('chain', { ts: 5, source: 'neutral', neutral: true, outputs: { p_up: 1 / 3 } })
  assert.deepEqual(
    cache.since('primary', 0)!.map((e) => e.ts),
    [3, 4, 5],
  )
  assert.deepEqual(
    cache.since('primary', 4)!.map((e) => e.outputs.p_up),
    [0.4, 0.5],
  )
  assert.deepEqual(cache.models(), ['primary', 'chain'])
  // Entries are frozen: a reader cannot change what another reads.
  const [e] = cache.since('chain', 0)!
  assert.throws(() => {
    ;(e.outputs as Record<string, number>).p_up = 0
  })
  assert.throws(() => createPredictionCache(0, []), /capacity 0/)
})
