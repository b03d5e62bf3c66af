import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { z } from 'zod'
import { describeParams, formatParams, type ParamInfo } from '../../src/config/describe.js'
import { combinerRegistry } from '../../src/ensemble/registry.js'
import { postProcessorRegistry } from '../../src/inference/post-processors.js'
import { registry } from '../../src/models/registry.js'
import { policyRegistry } from '../../src/policy/registry.js'
import { repoRoot } from '../helpers.js'

const byName = (ps: readonly ParamInfo[]) => Object.fromEntries(ps.map((p) => [p.name, p]))

test('describeParams reads meaning, type, range and default through every wrapper the param schemas use', () => {
  const schema = z
    .strictObject({
      rounds: z.int().min(1).max(100).default(10).describe('boosting rounds'),
      rate: z.number().gt(0).lte(1).describe('shrinkage').default(0.1), // described inside the default
      positive: z.number().positive().describe('a positive number'),
      count: z.number().int().nonnegative().default(0).describe('a count'),
      flag: z.boolean().default(true).describe('a switch'),
      mode: z.enum(['a', 'b']).optional().describe('a choice'),
      tag: z.literal('x').describe('a constant'),
      name: z.string().min(1).describe('a name'),
      sizes: z.array(z.int().min(1)).min(1).max(4).default([2]).describe('sizes'),
      weights: z
        .union([z.enum(['uniform', 'auto']), z.array(z.number())])
        .default('uniform')
        .describe('weights'),
      maybe: z.number().nullable().default(null).describe('nullable'),
      extra: z.record(z.string(), z.unknown()).prefault({}).describe('a map'),
      inner: z
        .strictObject({ k: z.int().min(2).default(5).describe('folds') })
        .prefault({})
        .describe('nested'),
      piped: z
        .string()
        .transform((s) => s.length)
        .describe('a transformed string'),
    })
    .readonly()
  const p = byName(describeParams(schema.transform((x) => x)))
  assert.deepEqual(p.rounds, {
    name: 'rounds',
    type: 'int',
    range: '[1, 100]',
    required: false,
    default: 10,
    description: 'boosting rounds',
  })
  assert.deepEqual(
    [p.rate.type, p.rate.range, p.rate.default, p.rate.description],
    ['number', '(0, 1]', 0.1, 'shrinkage'],
  )
  assert.deepEqual([p.positive.range, p.positive.required], ['> 0', true])
  assert.deepEqual([p.count.type, p.count.range], ['int', '>= 0']) // no safe-integer bounds
  assert.deepEqual([p.flag.type, p.flag.default], ['boolean', true])
  assert.deepEqual([p.mode.type, p.mode.required, 'default' in p.mode], ['one of a | b', false, false])
  assert.equal(p.tag.type, 'the value x')
  assert.deepEqual([p.name.type, p.name.range], ['string', 'at least 1 character'])
  assert.deepEqual([p.sizes.type, p.sizes.range, p.sizes.default], ['list of int >= 1', '1 to 4 items', [2]])
  assert.equal(p.weights.type, 'one of uniform | auto | list of number')
  assert.deepEqual([p.maybe.type, p.maybe.default], ['number or null', null])
  assert.deepEqual([p.extra.type, p.extra.default], ['map', {}])
  assert.deepEqual([p.inner.type, p['inner.k'].range, p['inner.k'].default], ['object', '>= 2', 5])
  assert.equal(p['inner.k'].description, 'folds')
  assert.deepEqual([p.piped.type, p.piped.description], ['string', 'a transformed string'])
  // A preprocess step is described by the schema it feeds.
  assert.deepEqual(
    describeParams(z.preprocess((x) => x, z.strictObject({ a: z.int().describe('A') }))).map((q) => q.name),
    ['a'],
  )
  const lines = formatParams([p.rounds, p.mode])
  assert.match(lines[0], /^ {4}rounds +int \[1, 100\] +default 10; boosting rounds$/)
  assert.match(lines[1], /^ {4}mode +one of a \| b +optional; a choice$/)
})

test('every parameter of every registry entry says what it means', () => {
  const missing: string[] = []
  const check = (role: string, name: string, schema: z.ZodType, discriminator?: string) => {
    const params = describeParams(schema).filter((p) => p.name !== discriminator)
    for (const p of params) if (!p.description) missing.push(`${role} ${name}: ${p.name}`)
    return params.length
  }
  let n = 0
  for (const [name, e] of registry) n += check('model', name, e.params)
  for (const [name, e] of combinerRegistry) n += check('combiner', name, e.params, 'method')
  for (const [name, e] of postProcessorRegistry) n += check('post-processor', name, e.params)
  for (const [name, e] of policyRegistry) n += check('policy', name, e.params, 'kind')
  assert.deepEqual(missing, [])
  assert.ok(n > 300, `${n} parameters`)
})

test('mlf models --params prints each parameter with its meaning, range and default, and the other registries', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), 'models', '--params'], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /\n {4}n_estimators +int \[1, 100000\] +default 500; Boosting rounds/)
  assert.match(r.stdout, /\n {4}path +string at least 1 character +required; /)
  for (const section of ['combiners', 'calibrators', 'uncertainty methods', 'policies'])
    assert.match(r.stdout, new RegExp(`\\n${section} \\(`))
  assert.match(r.stdout, /\n {4}oof\.n_folds +int \[2, 50\] +default 5; /)
  assert.match(r.stdout, /\n {4}long +number \(0, 1\] +default 0\.55; Go long/)
  const json = spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), 'models', '--json'], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  const rows = JSON.parse(json.stdout) as { name: string; params: ParamInfo[] }[]
  const xgb = rows.find((row) => row.name === 'xgboost')!
  assert.deepEqual(xgb.params[0], {
    name: 'n_estimators',
    type: 'int',
    range: '[1, 100000]',
    required: false,
    default: 500,
    description: 'Boosting rounds (trees); early stopping may end sooner',
  })
})
