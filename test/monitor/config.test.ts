import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig, resolveConfig } from '../../src/config/load.js'
import { windowRows } from '../../src/monitor/config.js'
import { canonicalJson } from '../../src/config/hash.js'
import { tempFile } from '../helpers.js'

test('monitor defaults are filled in, frozen and hashed', () => {
  const c = resolveConfig({})
  assert.deepEqual(c.monitor, {
    bins: 10,
    window: 1440,
    psi_warn: 0.1,
    psi_alert: 0.25,
    smoothing: 0.5,
    exclude_groups: ['calendar'],
  })
  assert.ok(Object.isFrozen(c.monitor))
  // The defaults are part of the hash: writing them out gives the same config, changing one another.
  assert.equal(resolveConfig({ monitor: { bins: 10, window: 1440 } }).hash, c.hash)
  // The default is rows, so it means the same on daily bars (a day would be a single row there).
  assert.equal(resolveConfig({ data: { interval: '1d' } }).monitor.window, 1440)
  for (const monitor of [{ bins: 20 }, { window: '12h' }, { psi_alert: 0.3 }, { smoothing: 1 }, { exclude_groups: [] }])
    assert.notEqual(resolveConfig({ monitor }).hash, c.hash, JSON.stringify(monitor))
  assert.equal(resolveConfig({ monitor: { window: 720 } }).monitor.window, 720)
})

test('monitor.webhook is optional (absent, it is not in the hashed config), an http(s) URL and a timeout', () => {
  const c = resolveConfig({})
  assert.equal(c.monitor.webhook, undefined)
  assert.ok(!canonicalJson(c.monitor).includes('webhook'))
  const w = resolveConfig({ monitor: { webhook: { url: 'https://hooks.example/drift?key=1' } } })
  assert.deepEqual(w.monitor.webhook, { url: 'https://hooks.example/drift?key=1', timeout_ms: 5000 })
  assert.notEqual(w.hash, c.hash)
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { url: 'ftp://hooks.example/drift' },
      /monitor\.webhook\.url: drift webhook: "ftp:\/\/hooks\.example\/drift" is not an http/,
    ],
    [{ url: 'hooks' }, /monitor\.webhook\.url: drift webhook: "hooks" is not a URL/],
    [{ url: 'http://x', timeout_ms: 0 }, /monitor\.webhook\.timeout_ms/],
    [{ url: 'http://x', secret: 'x' }, /monitor\.webhook.*secret/],
  ]
  for (const [webhook, message] of cases) assert.throws(() => resolveConfig({ monitor: { webhook } }), message)
})

test('what the monitor cannot honour is refused at load, naming the line and the key', () => {
  const cases: [string, RegExp][] = [
    ['monitor:\n  psi_warn: 0.3\n', /:2: monitor\.psi_alert: psi_alert must be above psi_warn/],
    ['monitor:\n  bins: 1\n', /:2: monitor\.bins: Too small/],
    ['monitor:\n  window: 1x\n', /:2: monitor\.window/],
    ['monitor:\n  exclude_groups: [calender]\n', /:2: monitor\.exclude_groups\.0/],
    ['monitor:\n  webhook: http://x\n', /monitor.*webhook/],
    ['monitor:\n  smoothing: 0\n', /:2: monitor\.smoothing: Too small/],
    // A window of 5 bars is fewer than the 10 bins; 7 minutes is no whole number of 5-minute bars.
    [
      'monitor:\n  window: 5\n',
      /:2: monitor\.window: the window 5 bars is 5 rows, fewer than the 10 bins .*data\.interval 1m/,
    ],
    [
      'data:\n  interval: 5m\nmonitor:\n  window: 7m\n',
      /:4: monitor\.window: the window 7m is not a whole number of bars \(data\.interval 5m\)/,
    ],
  ]
  for (const [yaml, message] of cases) assert.throws(() => loadConfig(tempFile('c.yaml', yaml)), message, yaml)
})

test('window rows: a length over the bar interval, or a number of bars', () => {
  assert.equal(windowRows('1d', 60_000, 10), 1440)
  assert.equal(windowRows('2w', 3_600_000, 10), 336)
  assert.equal(windowRows(500, 60_000, 10), 500)
  assert.throws(() => windowRows('90m', 3_600_000, 10), /the window 90m is not a whole number of bars/)
})
