/**
 * Model parameters are parsed into the resolved config and parsed again by createModel, so every registry entry's
 * schema must take its own output back unchanged, and that output must be plain JSON (it is hashed, written to
 * config.resolved.yaml and deep-frozen, which typed arrays, Maps or functions would not survive).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deepFreeze } from '../../src/config/hash.js'
import { registry } from '../../src/models/registry.js'
import { overrides } from './contract-data.js'

/** Where `value` is not plain JSON (null, boolean, finite number, string, array, plain object), or null. */
function notJson(value: unknown, at = '(params)'): string | null {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return null
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${at} is ${value}`
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = notJson(v, `${at}.${i}`)
      if (bad) return bad
    }
    return null
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      const bad = notJson(v, `${at}.${k}`)
      if (bad) return bad
    }
    return null
  }
  return `${at} is ${Object.prototype.toString.call(value)}`
}

/** `{}`, or, for models that import a file, the one field they cannot default: the file's path. */
function minimalParams(name: string): Record<string, unknown> {
  return registry.get(name)!.params.safeParse({}).success ? {} : { path: 'model.file' }
}

for (const [name, entry] of registry) {
  test(`${name}: parsed params parse to themselves and are plain JSON`, () => {
    // Defaults alone, and the contract suite's params (lists, nested arrays, fixture paths) where it has some.
    const o = overrides.get(name)
    const inputs = [minimalParams(name), o?.params, ...(o?.cases ?? []).map((c) => c.params)].filter(
      (x): x is Record<string, unknown> => x !== undefined,
    )
    for (const x of inputs) {
      const once = entry.params.safeParse(x)
      assert.ok(once.success, `${name}: ${JSON.stringify(x)} does not parse: ${once.error?.message}`)
      const twice = entry.params.safeParse(once.data)
      assert.ok(twice.success, `${name}: its own parsed params do not parse: ${twice.error?.message}`)
      assert.deepStrictEqual(twice.data, once.data, `${name}: parse(parse(x)) differs from parse(x)`)
      assert.equal(notJson(once.data), null, `${name}: params are not plain JSON`)
      assert.deepStrictEqual(JSON.parse(JSON.stringify(once.data)), once.data)
      assert.doesNotThrow(() => deepFreeze(once.data), `${name}: params cannot be frozen`)
    }
  })
}
