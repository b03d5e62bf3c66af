import assert from 'node:assert/strict'
import test from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import type { RunData } from '../../src/pipeline/stages/dataset.js'
import type { EvalWindow } from '../../src/pipeline/stages/windows.js'
import { evaluateSlice } from '../../src/sweep/trial.js'

test('a trial scored on validation rows refuses a learning policy, which trains on them', async () => {
  const config = resolveConfig({ policy: ['threshold', { kind: 'rl', algorithm: 'ppo', inputs: ['p'] }] })
  await assert.rejects(
    evaluateSlice(config, {} as RunData, {} as EvalWindow, 'val'),
    /a sweep scores trials on validation rows, where a learning policy \(rl\) trains/,
  )
})
