/**
 * The model contract, run against EVERY registry entry (models added later are covered automatically): for each
 * supported task, fit on planted-signal data for the model's input view, then check output shape and range (never
 * NaN, probabilities in [0,1], class rows sum to 1), save -> load round trip, same seed -> same predictions,
 * invalid parameters rejected with the field path, and that the model beats chance. Unavailable engines skip with
 * their install hint.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Dataset, FitContext, Model, Outputs, Task } from '../../src/models/contract.js'
import { parseModelParams, registry, type ModelEntry } from '../../src/models/registry.js'
import { tempDir } from '../helpers.js'
import { overrides, syntheticSplit, taskOf, type ContractCase } from './contract-data.js'

const CTX: FitContext = { seed: 7, threads: 1 }

function casesFor(name: string, entry: ModelEntry): readonly ContractCase[] {
  const o = overrides.get(name)
  if (o?.cases) return o.cases
  return entry.spec.tasks.map((k) => ({ task: taskOf(k), params: o?.params }))
}

function assertOutputs(out: Outputs, task: Task, n: number, who: string): void {
  assert.equal(out.n, n, `${who}: outputs.n`)
  const finite = (name: string, a: Float64Array | undefined, len: number): Float64Array => {
    assert.ok(a instanceof Float64Array, `${who}: output ${name} is missing or not a Float64Array`)
    assert.equal(a.length, len, `${who}: output ${name} length`)
    for (let i = 0; i < a.length; i++) assert.ok(Number.isFinite(a[i]), `${who}: ${name}[${i}] = ${a[i]}`)
    return a
  }
  switch (task.kind) {
    case 'binary': {
      const p = finite('p_up', out.p_up, n)
      for (let i = 0; i < n; i++) assert.ok(p[i] >= 0 && p[i] <= 1, `${who}: p_up[${i}] = ${p[i]} outside [0,1]`)
      break
    }
    case 'multiclass': {
      const k = task.classes
      assert.equal(out.classes, k, `${who}: outputs.classes`)
      const p = finite('p', out.p, n * k)
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let c = 0; c < k; c++) {
          const v = p[i * k + c]
          assert.ok(v >= 0 && v <= 1, `${who}: p[${i},${c}] = ${v} outside [0,1]`)
          s += v
        }
        // float32 engines (XGBoost, ONNX) normalise in single precision
        assert.ok(Math.abs(s - 1) < 1e-5, `${who}: p row ${i} sums to ${s}`)
      }
      break
    }
    case 'regression':
      finite('E_r', out.E_r, n)
      break
    case 'quantile': {
      const lo = finite('q05', out.q05, n)
      const mid = finite('q50', out.q50, n)
      const hi = finite('q95', out.q95, n)
      for (let i = 0; i < n; i++) assert.ok(lo[i] <= mid[i] && mid[i] <= hi[i], `${who}: quantiles cross at row ${i}`)
      break
    }
  }
}

/** Score on the test set: accuracy for classification, correlation for regression/quantile. */
function skill(out: Outputs, task: Task, y: Float64Array): number {
  const n = y.length
  if (task.kind === 'binary') {
    let ok = 0
    for (let i = 0; i < n; i++) ok += Number(out.p_up![i] > 0.5) === y[i] ? 1 : 0
    return ok / n
  }
  if (task.kind === 'multiclass') {
    const k = task.classes
    let ok = 0
    for (let i = 0; i < n; i++) {
      let best = 0
      for (let c = 1; c < k; c++) if (out.p![i * k + c] > out.p![i * k + best]) best = c
      ok += best === y[i] ? 1 : 0
    }
    return ok / n
  }
  return correlation(task.kind === 'regression' ? out.E_r! : out.q50!, y)
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i] / n
    mb += b[i] / n
  }
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) ** 2
    sbb += (b[i] - mb) ** 2
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0
}

/** What "beats chance" means: chance is 1/2, 1/K and correlation 0; zero-shot models get a lower bar. */
function skillFloor(task: Task, zeroShot: boolean): number {
  if (task.kind === 'binary') return zeroShot ? 0.55 : 0.65
  if (task.kind === 'multiclass') return 1 / task.classes + (zeroShot ? 0.05 : 0.15)
  return zeroShot ? 0.2 : 0.5
}

function sameOutputs(a: Outputs, b: Outputs, who: string): void {
  for (const key of ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95', 'regime_score', 'uncertainty'] as const) {
    assert.deepEqual(b[key], a[key], `${who}: output ${key} differs`)
  }
  assert.equal(b.classes, a.classes, `${who}: classes differ`)
}

async function fitted(entry: ModelEntry, name: string, c: ContractCase, train: Dataset, val: Dataset): Promise<Model> {
  const model = entry.create(parseModelParams(name, c.params ?? {}), c.task)
  assert.equal(model.spec.name, name, 'model.spec.name matches its registry key')
  if (!entry.spec.zeroShot) await model.fit(train, val, CTX)
  return model
}

for (const [name, entry] of registry) {
  describe(`model contract: ${name}`, () => {
    const availability = entry.available()
    if (!availability.ok) {
      it('engine is available', (t) => t.skip(availability.hint))
      return
    }
    const cases = casesFor(name, entry)

    it('spec is well-formed and lists its tasks', () => {
      assert.equal(entry.spec.name, name)
      assert.ok(entry.spec.tasks.length > 0, 'spec.tasks is empty')
      assert.ok(entry.spec.outputs.length > 0, 'spec.outputs is empty')
      for (const c of cases)
        assert.ok(entry.spec.tasks.includes(c.task.kind), `case task ${c.task.kind} not in spec.tasks`)
    })

    it('rejects invalid parameters with the path of the bad field', () => {
      const base = (cases[0]?.params ?? {}) as Record<string, unknown>
      const valid = parseModelParams(name, base) as Record<string, unknown>
      assert.ok(Object.isFrozen(valid), 'validated params are frozen')
      assert.throws(() => parseModelParams(name, { ...base, no_such_param_xyz: 1 }), /no_such_param_xyz/)
      const numeric = Object.keys(valid).find((k) => typeof valid[k] === 'number')
      if (numeric) {
        assert.throws(
          () => parseModelParams(name, { ...base, [numeric]: 'not a number' }),
          (err: Error) => err.message.includes(`models.${name}.${numeric}`),
        )
        assert.throws(
          () => parseModelParams(name, { ...base, [numeric]: Number.NaN }),
          (err: Error) => err.message.includes(`models.${name}.${numeric}`),
        )
      }
    })

    for (const c of cases) {
      const label = c.task.kind === 'multiclass' ? `multiclass(${c.task.classes})` : c.task.kind
      it(`${label}: predicts in range, round-trips save/load, is deterministic, beats chance`, async (t) => {
        const skip = c.skip?.()
        if (skip) return t.skip(skip)
        const split = c.data ? c.data() : syntheticSplit(entry.spec.inputView, c.task)
        const who = `${name}/${label}`
        const model = await fitted(entry, name, c, split.train, split.val)
        const out = model.predict(split.test.x)
        assertOutputs(out, c.task, split.test.x.n, who)
        sameOutputs(out, model.predict(split.test.x), `${who} predict twice`)

        const dir = tempDir('mlf-contract-')
        const refs = await model.save(dir)
        assert.ok(refs.files.length > 0, `${who}: save wrote no files`)
        for (const f of refs.files) assert.ok(existsSync(join(dir, f)), `${who}: save listed ${f} but it is absent`)
        const loaded = await entry.load(dir)
        assert.equal(loaded.spec.name, name)
        sameOutputs(out, loaded.predict(split.test.x), `${who} after save/load`)

        const again = await fitted(entry, name, c, split.train, split.val)
        sameOutputs(out, again.predict(split.test.x), `${who} same seed`)

        if (c.signal !== false) {
          const s = skill(out, c.task, split.test.y)
          const floor = skillFloor(c.task, entry.spec.zeroShot)
          assert.ok(s > floor, `${who}: skill ${s.toFixed(3)} does not beat chance floor ${floor.toFixed(3)}`)
        }
      })
    }
  })
}
