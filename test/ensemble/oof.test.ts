import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deriveSeed } from '../../src/core/seeds.js'
import type { DataView, FeatureMatrixView, WindowTensorView } from '../../src/features/views/types.js'
import type { Model, Outputs, Task } from '../../src/models/contract.js'
import { seededRandom } from '../../src/core/random.js'
import { holdoutPredictions } from '../../src/ensemble/blending.js'
import { modelFitter, outOfFoldPredictions, type MemberFitter } from '../../src/ensemble/oof.js'
import type { LabelSpans } from '../../src/validation/spans.js'

const TASK: Task = { kind: 'binary' }

interface FitRecord {
  readonly id: number
  readonly seed: number
  train: Int32Array
  readonly predicted: Int32Array[]
}

/** A probability that depends on which fit answered and for which row, so a misplaced OOF value is caught. */
function stamp(fitId: number, row: number): number {
  return 0.1 + (0.8 * ((fitId * 31 + row * 7) % 97)) / 97
}

/**
 * A toy model recording the rows it was trained on and the rows it predicted. `rowsOf` reads the rows out of its
 * input view: a feature-matrix member gets one column holding the row; a window member gets windows ending at the rows
 * (and reads the past bars of each window when it predicts).
 */
function recordingModel(
  kind: 'feature_matrix' | 'window_tensor',
  log: FitRecord[],
  rowsOf: (x: DataView) => Int32Array,
) {
  return (): Model => {
    let record: FitRecord | undefined
    return {
      spec: {
        name: `toy_${kind}`,
        family: 'linear',
        inputView: kind,
        outputs: ['p_up', 'p'],
        tasks: ['binary'],
        causal: true,
        zeroShot: false,
      },
      task: TASK,
      async fit(train, _val, ctx) {
        record = { id: log.length, seed: ctx.seed, train: rowsOf(train.x), predicted: [] }
        assert.equal(train.y.length, record.train.length)
        log.push(record)
      },
      predict(x): Outputs {
        if (!record) throw new Error('not fitted')
        const rows = rowsOf(x)
        record.predicted.push(rows)
        const p_up = Float64Array.from(rows, (r) => stamp(record!.id, r))
        return { n: rows.length, p_up }
      },
      save: async () => ({ files: [] }),
    }
  }
}

function toyMembers(bars: number, y: Float64Array) {
  const logs = { matrix: [] as FitRecord[], window: [] as FitRecord[] }
  const base = Float32Array.from({ length: bars }, (_, i) => i)
  const matrixView = (rows: Int32Array): FeatureMatrixView => ({
    kind: 'feature_matrix',
    n: rows.length,
    f: 1,
    data: Float64Array.from(rows),
    names: ['row'],
  })
  const windowView = (rows: Int32Array): WindowTensorView => ({
    kind: 'window_tensor',
    n: rows.length,
    steps: 4,
    f: 1,
    base,
    end: Int32Array.from(rows),
    names: ['bar'],
  })
  const members: MemberFitter[] = [
    modelFitter({
      name: 'matrix',
      create: recordingModel('feature_matrix', logs.matrix, (x) => Int32Array.from((x as FeatureMatrixView).data)),
      view: matrixView,
      y,
    }),
    modelFitter({
      name: 'window',
      create: recordingModel('window_tensor', logs.window, (x) => Int32Array.from((x as WindowTensorView).end)),
      view: windowView,
      y,
    }),
  ]
  return { members, logs }
}

/** Random sample rows (gaps of 1-3 bars) with label spans of random, varying length (t0 = the row, in bars). */
function randomSpans(rand: () => number, n: number, maxLen: number): LabelSpans {
  const row = new Int32Array(n)
  for (let i = 0, r = 0; i < n; i++, r += 1 + Math.floor(rand() * 3)) row[i] = r
  const t0 = Float64Array.from(row)
  const t1 = Float64Array.from(row, (r) => r + Math.floor(rand() * rand() * (maxLen + 1)))
  return { row, t0, t1 }
}

test('OOF: every row with a complete label is predicted once per member, by a fit on rows purged and embargoed from it', async () => {
  const rand = seededRandom(20240611)
  let complete = 0
  const trials = 60
  for (let trial = 0; trial < trials; trial++) {
    const n = 30 + Math.floor(rand() * 90)
    const spans = randomSpans(rand, n, Math.floor(rand() * 40))
    const nFolds = 2 + Math.floor(rand() * 5)
    const purgeBars = Math.floor(rand() * 6)
    const embargoBars = Math.floor(rand() * 16)
    const bars = spans.row[n - 1] + 1
    const y = Float64Array.from({ length: bars }, (_, i) => i % 2)
    const { members, logs } = toyMembers(bars, y)
    const seed = 1000 + trial
    const oof = await outOfFoldPredictions(spans, members, {
      classes: 2,
      nFolds,
      purgeBars,
      embargoBars,
      seed,
      threads: 1,
    })
    const where = `trial ${trial} (n=${n}, folds=${nFolds}, purge=${purgeBars}, embargo=${embargoBars})`

    // Predicted and unpredicted rows partition the samples, each once.
    const all = [...oof.rows, ...oof.unpredicted].sort((a, b) => a - b)
    assert.deepEqual(all, [...spans.row], where)
    if (oof.unpredicted.length === 0) complete++
    const t0 = new Map<number, number>()
    const t1 = new Map<number, number>()
    spans.row.forEach((r, i) => {
      t0.set(r, spans.t0[i])
      t1.set(r, spans.t1[i])
    })

    for (const [m, log] of [logs.matrix, logs.window].entries()) {
      const name = oof.members[m]
      for (const fit of log) {
        // Each fold's member has its own seed from (root, 'oof', fold, member).
        const fold = oof.folds.filter((f) => f.trainRows > 0)[fit.id].fold
        assert.equal(fit.seed, deriveSeed(seed, 'oof', fold, name), where)
      }
      for (const [k, row] of oof.rows.entries()) {
        const fits = log.filter((f) => f.predicted.some((rows) => rows.includes(row)))
        assert.equal(fits.length, 1, `${where}: row ${row} predicted by ${fits.length} fits of ${name}`)
        const fit = fits[0]
        assert.equal(oof.p[m][2 * k + 1], stamp(fit.id, row), `${where}: OOF value of row ${row} misplaced`)
        const a = t0.get(row)!
        const z = t1.get(row)!
        for (const r of fit.train) {
          const before = t1.get(r)! + purgeBars < a
          const after = t0.get(r)! > z + purgeBars + embargoBars
          assert.ok(
            before || after,
            `${where}: ${name} predicting row ${row} [${a}, ${z}] was trained on row ${r} [${t0.get(r)}, ${t1.get(r)}]`,
          )
        }
      }
      for (const row of oof.unpredicted) {
        assert.ok(!log.some((f) => f.predicted.some((rows) => rows.includes(row))), `${where}: row ${row}`)
      }
    }
  }
  // Unpredicted rows arise only when a fold has nothing left to train on; most random cases have none.
  assert.ok(complete > trials / 2, `only ${complete} of ${trials} trials predicted every row`)
})

test('OOF: rows that no fold can predict are reported, never filled', async () => {
  // Every label spans the whole window, so every fold's training rows are purged away.
  const n = 20
  const spans: LabelSpans = {
    row: Int32Array.from({ length: n }, (_, i) => i),
    t0: Float64Array.from({ length: n }, (_, i) => i),
    t1: new Float64Array(n).fill(n),
  }
  const { members, logs } = toyMembers(n, new Float64Array(n))
  const oof = await outOfFoldPredictions(spans, members, {
    classes: 2,
    nFolds: 4,
    purgeBars: 0,
    embargoBars: 0,
    seed: 1,
    threads: 1,
  })
  assert.equal(oof.rows.length, 0)
  assert.deepEqual([...oof.unpredicted], [...spans.row])
  assert.deepEqual(
    oof.folds.map((f) => f.trainRows),
    [0, 0, 0, 0],
  )
  assert.equal(logs.matrix.length + logs.window.length, 0)
})

test('OOF refuses bad options and duplicate member names, naming the field', async () => {
  const spans: LabelSpans = {
    row: Int32Array.from({ length: 10 }, (_, i) => i),
    t0: Float64Array.from({ length: 10 }, (_, i) => i),
    t1: Float64Array.from({ length: 10 }, (_, i) => i + 1),
  }
  const { members } = toyMembers(10, new Float64Array(10))
  const opts = { classes: 2, nFolds: 2, purgeBars: 0, embargoBars: 0, seed: 1, threads: 1 }
  await assert.rejects(
    outOfFoldPredictions(spans, members, { ...opts, nFolds: 1 }),
    /oof.n_folds must be an integer >= 2/,
  )
  await assert.rejects(outOfFoldPredictions(spans, members, { ...opts, purgeBars: -1 }), /purge_bars/)
  await assert.rejects(outOfFoldPredictions(spans, members, { ...opts, embargoBars: 1.5 }), /oof.embargo_bars/)
  await assert.rejects(outOfFoldPredictions(spans, [members[0], members[0]], opts), /"matrix" is used twice/)
})

test('blending holdout: members trained only on rows before the slice whose labels end purge_bars before it', async () => {
  const rand = seededRandom(7)
  for (let trial = 0; trial < 20; trial++) {
    const n = 40 + Math.floor(rand() * 60)
    const spans = randomSpans(rand, n, 20)
    const purgeBars = Math.floor(rand() * 5)
    const bars = spans.row[n - 1] + 1
    const { members, logs } = toyMembers(bars, new Float64Array(bars))
    const preds = await holdoutPredictions(spans, members, {
      classes: 2,
      fraction: 0.25,
      purgeBars,
      seed: 3,
      threads: 1,
    })
    const start = n - Math.ceil(n * 0.25)
    assert.deepEqual(
      [...preds.rows, ...preds.unpredicted].sort((a, b) => a - b),
      [...spans.row.slice(start)],
    )
    const firstT0 = spans.t0[start]
    for (const log of [logs.matrix, logs.window]) {
      assert.ok(log.length <= 1)
      for (const fit of log) {
        assert.equal(fit.seed, deriveSeed(3, 'blend', log === logs.matrix ? 'matrix' : 'window'))
        for (const r of fit.train) {
          const i = spans.row.indexOf(r)
          assert.ok(i < start && spans.t1[i] + purgeBars < firstT0, `trial ${trial}: trained on row ${r}`)
        }
      }
    }
  }
})
