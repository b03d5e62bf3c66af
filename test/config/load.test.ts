import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig, MAX_CONFIG_BYTES, resolveConfig } from '../../src/config/load.js'
import { parseModelParams } from '../../src/models/registry.js'
import { tempFile } from '../helpers.js'

test('a config validates, is frozen, and its hash ignores key order but not values', () => {
  const a = loadConfig(tempFile('a.yaml', 'symbol: FILUSDT\nseed: 7\ntimeframes: [1m, 5m, 1h]\n'))
  const b = loadConfig(tempFile('b.yaml', 'timeframes: [1m, 5m, 1h]\nseed: 7\nsymbol: FILUSDT\n'))
  const c = loadConfig(tempFile('c.yaml', 'timeframes: [1m, 5m, 1h]\nseed: 8\nsymbol: FILUSDT\n'))
  assert.equal(a.hash, b.hash)
  assert.notEqual(a.hash, c.hash)
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.data.validation))
  assert.equal(a.data.validation.duplicate_exact, 'drop')
  assert.throws(() => {
    ;(a as { seed: number }).seed = 1
  }, TypeError)
})

test('schema errors name the file, the line and the path of the bad field', () => {
  const path = tempFile('bad.yaml', 'symbol: X\ndata:\n  validation:\n    backward_step: sort\ntimeframes: [1m, 7x]\n')
  assert.throws(
    () => loadConfig(path),
    (err: Error) => {
      assert.match(err.message, new RegExp(`${path}:4: data\\.validation\\.backward_step: Invalid option`))
      assert.match(err.message, /:5: timeframes: invalid timeframe "7x"/)
      return true
    },
  )
  assert.throws(() => loadConfig(tempFile('typo.yaml', 'symbol: X\nseeed: 3\n')), /:2: .*Unrecognized key.*seeed/)
})

test('YAML syntax errors give the line', () => {
  assert.throws(
    () => loadConfig(tempFile('syntax.yaml', 'symbol: X\ndata:\n  columns: [a\n')),
    /syntax.yaml:\d+: YAML syntax error/,
  )
})

test('a config that is not a mapping of sections is refused, never run with all defaults', () => {
  for (const [text, kind] of [
    ['42\n', 'a number'],
    ['- symbol: X\n- seed: 3\n', 'a list'],
    ['just words\n', 'a string'],
    ['true\n', 'a boolean'],
  ]) {
    const path = tempFile('scalar.yaml', text)
    assert.throws(() => loadConfig(path), new RegExp(`${path} must be a mapping of sections .*, got ${kind}$`))
  }
  assert.throws(() => resolveConfig([1, 2]), /a config must be a mapping of sections .*, got a list/)
  // An empty file is still the all-defaults config.
  assert.equal(loadConfig(tempFile('empty.yaml', '')).seed, 42)
})

test('a config file above 1 MiB is refused by its size before parsing; aliases are bounded', () => {
  const big = tempFile('big.yaml', `symbol: "${'x'.repeat(MAX_CONFIG_BYTES)}"\n`)
  // The message comes from the size check, made before the file is read (the time it takes is bench material).
  assert.throws(
    () => loadConfig(big),
    new RegExp(`cannot read config ${big}: ${MAX_CONFIG_BYTES + 11} bytes is larger than a config can be`),
  )
  // Nine levels of ten aliases each would expand to 10^9 strings (a "billion laughs").
  const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
  for (let k = 1; k < 9; k++)
    levels.push(
      `a${k}: &a${k} [${Array(10)
        .fill(`*a${k - 1}`)
        .join(', ')}]`,
    )
  const bomb = tempFile('bomb.yaml', `${levels.join('\n')}\n`)
  assert.throws(() => loadConfig(bomb), new RegExp(`${bomb}: cannot expand the YAML: .*alias`, 'i'))
})

test('model parameters are parsed into the resolved config: defaults filled in, hashed, frozen', () => {
  const implicit = resolveConfig({ base_models: [{ name: 'xgboost', config: {} }] })
  // 500 rounds is xgboost's default: spelling it out is the same config, so the same hash.
  const explicit = resolveConfig({ base_models: [{ name: 'xgboost', config: { n_estimators: 500 } }] })
  const other = resolveConfig({ base_models: [{ name: 'xgboost', config: { n_estimators: 499 } }] })
  assert.equal(implicit.base_models[0].config.n_estimators, 500)
  assert.deepEqual(implicit.base_models[0].config, parseModelParams('xgboost', {}))
  assert.equal(implicit.hash, explicit.hash)
  assert.notEqual(implicit.hash, other.hash)
  // The default base model goes through the same parsing.
  assert.equal(resolveConfig({}).hash, implicit.hash)
  assert.ok(Object.isFrozen(implicit.base_models[0].config))
  // What a run writes to config.resolved.yaml resolves to itself (the bundle reloads it and checks the hash).
  const { hash, source: _source, ...rest } = implicit
  assert.equal(resolveConfig(JSON.parse(JSON.stringify(rest))).hash, hash)
})

test('list-valued model parameters are parsed in, and errors inside them name the file, line and element', () => {
  const hidden = Array.from({ length: 16 }, (_, i) => 8 + i)
  const config = resolveConfig({ base_models: [{ name: 'mlp', config: { hidden, epochs: 3 } }] })
  assert.deepEqual(config.base_models[0].config.hidden, hidden)
  assert.equal(config.base_models[0].config.batchSize, 256)
  const path = tempFile(
    'nested.yaml',
    'base_models:\n  - name: resnet1d\n    config:\n      channels: [8, 8]\n      kernels:\n        - 5\n        - -3\n',
  )
  assert.throws(() => loadConfig(path), new RegExp(`${path}:7: base_models\\.0\\.config\\.kernels\\.1: Too small`))
})
