/**
 * Composite models in the model contract: every composite of the codebase (the voting ensemble, and a combined model
 * for every combiner of the combiner registry: stacking, blending, the gates, ...) declares its parts, named and ordered as its
 * members, before and after a save/load round trip; a wrapper (the conformal one) declares the model it wraps as its
 * one inner part; and the helpers look through composites, nested ones included.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FeatureMatrixView, ViewSet } from '../../src/features/views/types.js'
import type { Model, Task } from '../../src/models/contract.js'
import { isComposite, leafModels, modelParts } from '../../src/models/composite.js'
import { createModel } from '../../src/models/registry.js'
import { seededRandom } from '../../src/core/random.js'
import { combinedModel, loadEnsemble, type CombinedMember } from '../../src/ensemble/combined.js'
import { allTrainingRows, modelFitter } from '../../src/ensemble/oof.js'
import { combinerRegistry } from '../../src/ensemble/registry.js'
import { votingEnsemble } from '../../src/ensemble/voting.js'
import { conformalized } from '../../src/inference/conformal/model.js'
import { spansForHorizon } from '../../src/validation/spans.js'
import { tempDir } from '../helpers.js'

const TASK: Task = { kind: 'binary' }
const N = 600
const HORIZON = 5
const NAMES = ['x0', 'x1', 'x2']

/** A binary problem on three features; members are real registry models, so saved ensembles load back. */
function problem() {
  const rand = seededRandom(3)
  const x = Float64Array.from({ length: N * NAMES.length }, () => rand() * 2 - 1)
  const y = Float64Array.from({ length: N }, (_, i) => (x[i * 3] + x[i * 3 + 1] + 0.5 * rand() > 0 ? 1 : 0))
  const matrix = (rows: Int32Array, names: readonly string[]): FeatureMatrixView => {
    const cols = names.map((n) => NAMES.indexOf(n))
    const data = new Float64Array(rows.length * cols.length)
    rows.forEach((r, i) => cols.forEach((c, j) => (data[i * cols.length + j] = x[r * 3 + c])))
    return { kind: 'feature_matrix', n: rows.length, f: cols.length, data, names: [...names] }
  }
  const members = [
    { name: 'logistic', features: ['x0', 'x1'] },
    { name: 'gaussian_nb', features: undefined },
  ]
  const fitters = members.map((m) =>
    modelFitter({
      name: m.name,
      create: () => createModel(m.name, {}, TASK),
      view: (rows) => matrix(rows, m.features ?? NAMES),
      y,
    }),
  )
  const all = spansForHorizon(N - 100, HORIZON)
  const validation = Int32Array.from({ length: 100 - HORIZON }, (_, i) => N - 100 + HORIZON + i)
  const test = Int32Array.from({ length: 50 }, (_, i) => i)
  const set: ViewSet = { kind: 'view_set', n: test.length, views: { feature_matrix: matrix(test, NAMES) } }
  // What gates read besides: regime probabilities made from x2 (standing in for the ensemble regime's columns of the
  // feature matrix) and, for a gate that learns online, the rows' outcomes (the row index as the clock).
  const column = (name: string, r: number): number => {
    const j = NAMES.indexOf(name)
    const p0 = (x[r * 3 + 2] + 1) / 2
    return j >= 0 ? x[r * 3 + j] : name === GATE_REGIME[0] ? p0 : 1 - p0
  }
  const gateColumns = (rows: Int32Array, names: readonly string[]): FeatureMatrixView => ({
    kind: 'feature_matrix',
    n: rows.length,
    f: names.length,
    data: Float64Array.from({ length: rows.length * names.length }, (_, i) =>
      column(names[i % names.length], rows[Math.floor(i / names.length)]),
    ),
    names: [...names],
  })
  const outcomes = (rows: Int32Array) => ({
    time: Float64Array.from(rows),
    closesAt: Float64Array.from(rows, (r) => r + HORIZON),
    label: Float64Array.from(rows, (r) => y[r]),
  })
  const gateSet: ViewSet = {
    kind: 'view_set',
    n: test.length,
    views: { feature_matrix: gateColumns(test, [...NAMES, ...GATE_REGIME]) },
    outcomes: outcomes(test),
  }
  return { members, fitters, y, spans: all, validation, set, gateSet, gateColumns, outcomes }
}

const GATE_REGIME = ['ensemble_regime_p0', 'ensemble_regime_p1']

/** A gate's config, and the features it reads: the regime's probabilities, after x2 for a gate that takes context. */
function gateSetup(name: string, p: ReturnType<typeof problem>) {
  const context = name === 'softmax_gate' || name === 'bandit_gate'
  const names = context ? ['x2', ...GATE_REGIME] : GATE_REGIME
  return {
    config: {
      method: 'gating',
      gate: name,
      oof: { n_folds: 3 },
      regime: { model: name === 'markov_switching_gate' ? 'markov_switching' : 'hmm', states: 2 },
      ...(context ? { context_features: ['x2'] } : {}),
      ...(name === 'softmax_gate' ? { epochs: 5 } : {}),
    },
    extra: { names, values: (rows: Int32Array) => p.gateColumns(rows, names).data },
  }
}

function assertPartsAreMembers(
  model: Model,
  members: readonly { name: string; model?: Model; features?: readonly string[] }[],
  who: string,
): void {
  assert.ok(isComposite(model), `${who}: declares no parts`)
  const parts = modelParts(model)
  assert.deepEqual(
    parts.map((p) => p.name),
    members.map((m) => m.name),
    `${who}: part names are not its members'`,
  )
  parts.forEach((p, i) => {
    assert.equal(p.role, 'member', `${who}: part ${p.name} role`)
    assert.deepEqual(p.features, members[i].features, `${who}: part ${p.name} features`)
    if (members[i].model) assert.equal(p.model, members[i].model, `${who}: part ${p.name} is not the member's model`)
  })
}

test('a single model has no parts and is its own leaf', () => {
  const model = createModel('logistic', {}, TASK)
  assert.equal(isComposite(model), false)
  assert.deepEqual(modelParts(model), [])
  assert.deepEqual(leafModels(model), [{ model }])
})

test('every composite exposes its members as parts, in order, before and after save/load', async () => {
  const p = problem()
  const fitted = await Promise.all(p.fitters.map((f) => f.fit(allTrainingRows(p.spans), { seed: 1, threads: 1 })))
  const members = fitted.map((f, i) => ({ name: f.name, model: f.model!, features: p.members[i].features }))

  const voting = votingEnsemble(
    members.map((m) => ({ ...m, weight: 1 })),
    TASK,
  )
  const composites: [string, Model, CombinedMember[], ViewSet][] = [['voting ensemble', voting, members, p.set]]
  for (const [method, entry] of combinerRegistry) {
    if (entry.gate && !entry.available({}).ok) continue // softmax_gate without libtorch
    const gate = entry.gate ? gateSetup(method, p) : null
    const config = gate ? gate.config : method === 'stacking' ? { method, oof: { n_folds: 3 } } : { method }
    const params = entry.params.parse(config)
    const fit = await entry.fit(
      params,
      {
        task: TASK,
        spans: p.spans,
        y: p.y,
        members: p.fitters,
        validation: p.validation,
        ...(gate ? { extra: gate.extra, outcomes: p.outcomes } : {}),
      },
      { seed: 1, threads: 1 },
    )
    // A gate's members take their columns by name, as the run gives them (the matrix also holds the gate's own).
    const combined: CombinedMember[] = fit.members.map((m, i) => ({
      name: m.name,
      model: m.model!,
      ...(p.members[i].features || gate ? { features: p.members[i].features ?? NAMES } : {}),
    }))
    const model = combinedModel(fit.combiner, combined, TASK)
    assertPartsAreMembers(model, combined, method)
    assert.deepEqual(
      modelParts(model).map((q) => q.name),
      [...fit.combiner.members],
      `${method}: parts are not the combiner's members`,
    )
    // A voting combiner is saved by the chain as a voting ensemble, not as a combined model.
    if (method !== 'voting') composites.push([method, model, combined, gate ? p.gateSet : p.set])
  }
  assert.deepEqual(composites.map(([who]) => who).slice(0, 6), [
    'voting ensemble',
    'stacking',
    'blending',
    'hmm_gate',
    'markov_switching_gate',
    'bandit_gate',
  ])
  assertPartsAreMembers(voting, members, 'voting ensemble')

  for (const [who, model, parts, set] of composites) {
    const dir = tempDir('mlf-composite-')
    await model.save(dir)
    const loaded = await loadEnsemble(dir)
    assertPartsAreMembers(
      loaded,
      parts.map(({ name, features }) => ({ name, features })),
      `${who} after load`,
    )
    assert.deepEqual(loaded.predict(set as never).p_up, model.predict(set as never).p_up, `${who} after load`)
  }
})

test('leafModels looks through nested composites, a part inheriting its composite feature slice', async () => {
  const p = problem()
  const [a, b] = await Promise.all(p.fitters.map((f) => f.fit(allTrainingRows(p.spans), { seed: 1, threads: 1 })))
  const inner = votingEnsemble(
    [
      { name: 'logistic', model: a.model!, weight: 1, features: ['x0'] },
      { name: 'gaussian_nb', model: b.model!, weight: 1 },
    ],
    TASK,
  )
  const single = createModel('logistic', {}, TASK)
  const outer = votingEnsemble(
    [
      { name: 'voting', model: inner, weight: 1, features: ['x0', 'x1'] },
      { name: 'logistic', model: single, weight: 1 },
    ],
    TASK,
  )
  assert.deepEqual(leafModels(outer), [
    { model: a.model, features: ['x0'] },
    { model: b.model, features: ['x0', 'x1'] },
    { model: single },
  ])
})

test('a wrapper declares the model it wraps as its one inner part, and leafModels looks through it', () => {
  const inner: Model = {
    spec: {
      name: 'quantile_stub',
      family: 'linear',
      inputView: 'feature_matrix',
      outputs: ['q05', 'q50', 'q95'],
      tasks: ['quantile'],
      causal: true,
      zeroShot: true,
    },
    task: { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] },
    fit: async () => {},
    predict: (x) => ({ n: x.n }),
    save: async () => ({ files: [] }),
  }
  const wrapped = conformalized(inner)
  assert.deepEqual(modelParts(wrapped), [{ name: 'quantile_stub', model: inner, role: 'inner' }])
  assert.deepEqual(leafModels(wrapped, ['x0']), [{ model: inner, features: ['x0'] }])
})
