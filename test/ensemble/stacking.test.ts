import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FeatureMatrixView } from '../../src/features/views/types.js'
import type { Task } from '../../src/models/contract.js'
import { createModel } from '../../src/models/registry.js'
import { seededRandom } from '../../src/core/random.js'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import type { CombinerFit, CombinerFitInput } from '../../src/ensemble/combiner.js'
import { modelFitter } from '../../src/ensemble/oof.js'
import { classProbabilitiesOf } from '../../src/ensemble/probabilities.js'
import { combinerRegistry, loadCombiner, parseCombinerConfig } from '../../src/ensemble/registry.js'
import { votingCombiner } from '../../src/ensemble/voting-combiner.js'
import type { MetaCombiner } from '../../src/ensemble/stacking.js'
import { registry } from '../../src/models/registry.js'
import { spansForHorizon } from '../../src/validation/spans.js'
import { tempDir } from '../helpers.js'

const HORIZON = 10
const TRAIN_END = 2000
const VAL = { start: TRAIN_END + HORIZON, end: 2500 }
const TEST = { start: 2500 + HORIZON, end: 3000 }

/** Standard normal by Box-Muller. */
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

/**
 * Four features; the label's log-odds is the sum of two halves, (x0 + x1) and (x2 + x3), each member seeing one half.
 * `noise`: labels are coin flips, independent of the features. With `classes` 3 the middle class is "small |logit|".
 */
function plantedProblem(seed: number, opts: { noise?: boolean; classes?: number } = {}) {
  const rand = seededRandom(seed)
  const n = TEST.end
  const f = 4
  const x = new Float64Array(n * f)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = gaussian(rand)
    const logit = 1.5 * (x[i * f] + x[i * f + 1]) + 1.5 * (x[i * f + 2] + x[i * f + 3])
    const pUp = 1 / (1 + Math.exp(-logit))
    if (opts.noise) y[i] = rand() < 0.5 ? 1 : 0
    else if (opts.classes === 3) y[i] = rand() < pUp ? 2 : rand() < 0.3 ? 1 : 0
    else y[i] = rand() < pUp ? 1 : 0
  }
  const classes = opts.classes ?? 2
  const task: Task = classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes }
  const columns = (rows: Int32Array, cols: number[]): FeatureMatrixView => {
    const data = new Float64Array(rows.length * cols.length)
    rows.forEach((r, i) => cols.forEach((c, j) => (data[i * cols.length + j] = x[r * f + c])))
    return { kind: 'feature_matrix', n: rows.length, f: cols.length, data, names: cols.map((c) => `x${c}`) }
  }
  const member = (name: string, cols: number[]) =>
    modelFitter({ name, create: () => createModel('logistic', {}, task), view: (rows) => columns(rows, cols), y })
  // The training window: rows whose label (row .. row + HORIZON) ends before the validation rows.
  const all = spansForHorizon(n, HORIZON)
  const keep = all.row.findIndex((r) => r >= TRAIN_END)
  const spans = { row: all.row.slice(0, keep), t0: all.t0.slice(0, keep), t1: all.t1.slice(0, keep) }
  const range = (a: { start: number; end: number }) =>
    Int32Array.from({ length: a.end - a.start }, (_, i) => a.start + i)
  const input: CombinerFitInput = {
    task,
    spans,
    y,
    members: [member('left', [0, 1]), member('right', [2, 3])],
    validation: range(VAL),
  }
  return { input, y, classes, testRows: range(TEST) }
}

async function fitCombiner(config: Record<string, unknown>, input: CombinerFitInput, seed = 11): Promise<CombinerFit> {
  const { entry, params } = parseCombinerConfig(config)
  return entry.fit(params, input, { seed, threads: 1 })
}

/** Test log-loss and accuracy of the combiner, of each refitted member and of equal-weight voting. */
function scoreOnTest(fit: CombinerFit, problem: ReturnType<typeof plantedProblem>) {
  const { testRows, y, classes: k } = problem
  const yTest = Float64Array.from(testRows, (r) => y[r])
  const outs = fit.members.map((m) => m.predict(testRows))
  const voting = votingCombiner({
    format: 'mlfactory.combiner',
    version: 1,
    method: 'voting',
    classes: k,
    members: fit.members.map((m) => m.name),
    weights: [1, 1],
  })
  const score = (p: Float64Array) => {
    let hits = 0
    for (let i = 0; i < testRows.length; i++) {
      let best = 0
      for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c
      if (best === yTest[i]) hits++
    }
    return { logLoss: logLoss(p, yTest, k), accuracy: hits / testRows.length }
  }
  return {
    combiner: score(fit.combiner.predict(outs).p!),
    voting: score(voting.predict(outs).p!),
    members: outs.map((o, j) => score(classProbabilitiesOf(o, k, testRows.length, fit.members[j].name))),
  }
}

test('stacking on purged OOF beats both half-signal members and voting on a held-out test window', async () => {
  const problem = plantedProblem(5)
  for (const meta of ['logistic', 'ridge']) {
    const fit = await fitCombiner(
      {
        method: 'stacking',
        meta_learner: meta,
        oof: { n_folds: 5, purge_bars: 2, embargo_bars: 5 },
        guard: 'fallback',
      },
      problem.input,
    )
    assert.equal(fit.oof!.unpredicted.length, 0)
    assert.equal(fit.oof!.rows.length, problem.input.spans.row.length)
    assert.equal(fit.guard!.kept, 'combiner', `${meta}: ${JSON.stringify(fit.guard)}`)
    const s = scoreOnTest(fit, problem)
    const where = `${meta}: ${JSON.stringify(s)}`
    for (const m of s.members) {
      assert.ok(s.combiner.logLoss < m.logLoss - 0.05, where)
      assert.ok(s.combiner.accuracy > m.accuracy, where)
    }
    assert.ok(s.combiner.logLoss < s.voting.logLoss - 0.03, where)
    assert.ok(s.combiner.accuracy >= s.voting.accuracy, where)
  }
})

test('blending on a purged holdout slice also beats the members and voting', async () => {
  const problem = plantedProblem(6)
  const fit = await fitCombiner(
    { method: 'blending', meta_learner: 'logistic', holdout: { fraction: 0.3, purge_bars: 3 } },
    problem.input,
  )
  assert.equal(fit.oof!.rows.length, Math.ceil(problem.input.spans.row.length * 0.3))
  const s = scoreOnTest(fit, problem)
  for (const m of s.members) assert.ok(s.combiner.logLoss < m.logLoss - 0.05, JSON.stringify(s))
  assert.ok(s.combiner.logLoss < s.voting.logLoss, JSON.stringify(s))
})

test('guard: on pure-noise labels the fallback keeps the best single member whenever the stacker is worse', async () => {
  let fellBack = 0
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const problem = plantedProblem(100 + seed, { noise: true })
    const fit = await fitCombiner(
      { method: 'stacking', meta_learner: 'logistic', guard: 'fallback' },
      problem.input,
      seed,
    )
    const g = fit.guard!
    const best = g.members.reduce((a, b) => (b.log_loss < a.log_loss ? b : a))
    assert.equal(g.best_member, best.name)
    const combiner = fit.combiner as MetaCombiner
    if (best.log_loss < g.combiner_log_loss) {
      fellBack++
      assert.equal(g.kept, best.name)
      assert.equal(combiner.selectedMember, best.name)
      // It answers exactly the kept member's probabilities.
      const rows = problem.testRows
      const outs = fit.members.map((m) => m.predict(rows))
      const j = fit.members.findIndex((m) => m.name === best.name)
      assert.deepEqual(combiner.predict(outs).p, classProbabilitiesOf(outs[j], 2, rows.length, best.name))
    } else {
      assert.equal(g.kept, 'combiner')
      assert.equal(combiner.selectedMember, null)
    }
  }
  assert.ok(fellBack >= 1, 'on noise the stacker never lost to a member: the fallback was not exercised')
})

test('guard: "report" reports but keeps the stacker; a guard without validation rows is refused', async () => {
  const problem = plantedProblem(101, { noise: true })
  const fit = await fitCombiner({ method: 'stacking', meta_learner: 'logistic', guard: 'report' }, problem.input)
  assert.equal(fit.guard!.kept, 'combiner')
  assert.equal((fit.combiner as MetaCombiner).selectedMember, null)
  assert.equal(fit.guard!.rows, VAL.end - VAL.start)
  const { validation: _validation, ...noValidation } = problem.input
  await assert.rejects(
    fitCombiner({ method: 'stacking', meta_learner: 'logistic', guard: 'fallback' }, noValidation),
    /ensemble.guard: "fallback" compares on validation rows, and none were given/,
  )
  await assert.rejects(
    fitCombiner({ method: 'stacking', guard: 'report' }, { ...problem.input, validation: Int32Array.of(1500, 2100) }),
    /ensemble guard: validation row 1500 is not after the training window \(its last row is 1999\)/,
  )
})

test('determinism: same seed, identical OOF matrix and meta-learner bytes; save/load predicts identically', async () => {
  for (const [meta, classes] of [
    ['logistic', 3],
    ['ridge', 3],
    ['elastic_net', 2],
  ] as const) {
    const problem = plantedProblem(9, { classes })
    const config = { method: 'stacking', meta_learner: meta, oof: { n_folds: 4, embargo_bars: 3 }, guard: 'report' }
    const a = await fitCombiner(config, problem.input, 42)
    const b = await fitCombiner(config, problem.input, 42)
    assert.deepEqual(a.oof!.rows, b.oof!.rows)
    a.oof!.p.forEach((p, j) => assert.deepEqual(p, b.oof!.p[j]))
    const dirA = tempDir()
    const dirB = tempDir()
    const refsA = await a.combiner.save(dirA)
    const refsB = await b.combiner.save(dirB)
    assert.deepEqual(refsA, refsB)
    assert.ok(
      refsA.files.some((f) => f.startsWith('meta/')),
      `${meta}: ${refsA.files}`,
    )
    for (const file of refsA.files) {
      assert.deepEqual(readFileSync(join(dirA, file)), readFileSync(join(dirB, file)), `${meta}: ${file} differs`)
    }
    const loaded = await loadCombiner(dirA)
    assert.equal(loaded.method, 'stacking')
    const outs = a.members.map((m) => m.predict(problem.testRows))
    const p = a.combiner.predict(outs).p!
    assert.deepEqual(loaded.predict(outs).p, p)
    classProbabilitiesOf({ n: problem.testRows.length, p, classes }, classes, problem.testRows.length, meta)
  }
})

test('a saved combiner is loaded through the registry, and a tampered artifact is refused naming the field', async () => {
  const problem = plantedProblem(12)
  const fit = await fitCombiner({ method: 'stacking', meta_learner: 'logistic', guard: 'off' }, problem.input)
  const dir = tempDir()
  await fit.combiner.save(dir)
  const file = join(dir, 'combiner.json')
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(saved.meta_inputs, 'log_probabilities')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, JSON.stringify({ ...saved, meta_learner: 'knn' }))
  await assert.rejects(loadCombiner(dir), /combiner.json: invalid model file:\n {2}meta_learner/)
  writeFileSync(file, JSON.stringify({ ...saved, meta_params: { C: 0.5, surprise: 1 } }))
  await assert.rejects(loadCombiner(dir), /meta_params/)
  writeFileSync(file, JSON.stringify({ ...saved, method: 'bagging' }))
  await assert.rejects(loadCombiner(dir), /unknown combiner method "bagging"/)
  // The combiners beside the gates (src/ensemble/gates/, tested there).
  assert.deepEqual(
    [...combinerRegistry.values()].filter((e) => !e.gate).map((e) => e.name),
    ['voting', 'stacking', 'blending'],
  )
})

test('tree and network meta-learners (shallow xgboost, small mlp) also stack the planted signal', async (t) => {
  const problem = plantedProblem(5)
  for (const [meta, metaParams] of [
    ['xgboost', { n_estimators: 60, max_depth: 2 }],
    ['mlp', { hidden: [8], epochs: 30, lr: 0.01 }],
  ] as const) {
    const availability = registry.get(meta)!.available()
    if (!availability.ok) {
      t.diagnostic(`${meta} skipped: ${availability.hint}`)
      continue
    }
    const fit = await fitCombiner(
      { method: 'stacking', meta_learner: meta, meta_params: metaParams, oof: { n_folds: 3 }, guard: 'report' },
      problem.input,
    )
    const s = scoreOnTest(fit, problem)
    for (const m of s.members) assert.ok(s.combiner.logLoss < m.logLoss - 0.05, `${meta}: ${JSON.stringify(s)}`)
    const dir = tempDir()
    await fit.combiner.save(dir)
    const outs = fit.members.map((m) => m.predict(problem.testRows))
    assert.deepEqual((await loadCombiner(dir)).predict(outs).p, fit.combiner.predict(outs).p, meta)
  }
})

test("extra meta-features join the members' log-probabilities, and predicting without them is refused", async () => {
  const problem = plantedProblem(13)
  // A calendar-like extra input (no signal in it): it must still reach the meta-learner and its artifact.
  const extra = {
    names: ['hour_of_day'],
    values: (rows: Int32Array) => Float64Array.from(rows, (r) => r % 24),
  }
  const fit = await fitCombiner(
    { method: 'stacking', meta_learner: 'logistic', guard: 'off' },
    { ...problem.input, extra },
  )
  const rows = problem.testRows
  const outs = fit.members.map((m) => m.predict(rows))
  assert.throws(() => fit.combiner.predict(outs), /fitted with extra meta-features \(hour_of_day\); none given/)
  const p = fit.combiner.predict(outs, extra.values(rows)).p!
  assert.equal(p.length, rows.length * 2)
  const dir = tempDir()
  await fit.combiner.save(dir)
  const loaded = await loadCombiner(dir)
  assert.deepEqual(loaded.predict(outs, extra.values(rows)).p, p)
  // A different extra value changes the answer: the feature is really an input of the meta-learner.
  assert.notDeepEqual(fit.combiner.predict(outs, new Float64Array(rows.length).fill(100)).p, p)
  assert.throws(() => fit.combiner.predict(outs, new Float64Array(3)), /extra meta-features hold 3 values, expected/)
})
