import { test } from 'node:test'
import assert from 'node:assert/strict'
import { userMessage } from '../../src/core/messages.js'

test("a user sees an engine's message without the native stack trace appended to it", () => {
  const xgb = new Error(
    [
      'XGBoost: [10:00:00] ../src/learner.cc:1234: Check failed: n > 0: empty dataset',
      'Stack trace:',
      '  [bt] (0) /usr/lib/x86_64-linux-gnu/libxgboost.so.0(+0x1234) [0x7f00]',
      '  [bt] (1) /usr/lib/x86_64-linux-gnu/libxgboost.so.0(XGBoosterUpdateOneIter+0x70) [0x7f01]',
    ].join('\n'),
  )
  assert.equal(userMessage(xgb), 'XGBoost: [10:00:00] ../src/learner.cc:1234: Check failed: n > 0: empty dataset')
  const torch = new Error(
    'shape mismatch [2, 3] vs [4]\nException raised from infer_size at ../aten/src/ATen/ExpandUtils.cpp:31\nframe #0: c10::Error::Error',
  )
  assert.equal(userMessage(torch), 'shape mismatch [2, 3] vs [4]')
  // Messages of several lines of our own are kept whole.
  assert.equal(userMessage(new Error('first\n  second')), 'first\n  second')
  assert.equal(userMessage('plain'), 'plain')
})
