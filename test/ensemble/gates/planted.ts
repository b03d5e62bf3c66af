/**
 * Shared by the gate tests: planted problems (member A right in regime 0, member B in regime 1; or no regimes at
 * all), the gate trained through its registry entry, and what the test window says about it; and the generic
 * leakage audit of a gate's weights on bars.
 */
import assert from 'node:assert/strict'
import { seededRandom, standardNormal } from '../../../src/core/random.js'
import type { Bars } from '../../../src/data/bars.js'
import { auditLeakageAsync, formatFinding, type AuditTarget } from '../../../src/features/audit.js'
import { computeFeatures } from '../../../src/features/frame.js'
import { featureMatrix } from '../../../src/features/views/matrix.js'
import type { RowOutcomes } from '../../../src/features/views/types.js'
import { logLoss } from '../../../src/inference/calibration/metrics.js'
import { labelsConfigSchema } from '../../../src/labels/config.js'
import { tripleBarrier } from '../../../src/labels/triple-barrier.js'
import { volatility } from '../../../src/labels/volatility.js'
import type { Outputs, Task } from '../../../src/models/contract.js'
import { createModel } from '../../../src/models/registry.js'
import { smoothedProbabilitiesLeaky } from '../../../src/models/regime/hmm-smoother.js'
import { observeFrame } from '../../../src/models/regime/observations.js'
import { fitRegime, regimeColumns } from '../../../src/models/regime/regime-features.js'
import { regimeModelSchema, regimeProbabilityNames } from '../../../src/models/regime/spec.js'
import type { Combiner, CombinerFitInput } from '../../../src/ensemble/combiner.js'
import { modelFitter, type MemberFitter } from '../../../src/ensemble/oof.js'
import { loadCombiner, parseCombinerConfig } from '../../../src/ensemble/registry.js'
import { selectColumns } from '../../../src/ensemble/voting.js'
import { spansForHorizon, spansFromT1Index } from '../../../src/validation/spans.js'
import { rowOutcomes } from '../../../src/pipeline/dataset.js'
import { regimeBars, SMALL_FEATURES } from '../../models/regime/synthetic.js'
import { tempDir } from '../../helpers.js'

export const TASK: Task = { kind: 'multiclass', classes: 3 }
const K = 3
const HORIZON = 5
export const N = 8000
export const TRAIN_END = 5000
export const VAL = { start: TRAIN_END + HORIZON, end: 5800 }
export const TEST = { start: 5800 + HORIZON, end: N }

const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i)

/** A member that answers fixed probabilities by row (its "fit" learns nothing: the planted outputs are the point). */
function plantedMember(name: string, p: Float64Array): MemberFitter {
  const predict = (rows: Int32Array): Outputs => {
    const out = new Float64Array(rows.length * K)
    rows.forEach((r, i) => out.set(p.subarray(r * K, (r + 1) * K), i * K))
    return { n: rows.length, p: out, classes: K }
  }
  return { name, fit: async () => ({ name, predict }) }
}

/** Probabilities that put `conf` on `cls` and split the rest. */
function confident(p: Float64Array, r: number, cls: number, conf: number): void {
  for (let c = 0; c < K; c++) p[r * K + c] = c === cls ? conf : (1 - conf) / (K - 1)
}

export interface Planted {
  readonly y: Float64Array
  /** The true regime of each row. */
  readonly regime: Int32Array
  /** Observed returns: volatility 1 in regime 0, 3 in regime 1 (what the regime model sees). */
  readonly returns: Float64Array
  readonly a: Float64Array
  readonly b: Float64Array
}

/**
 * withRegimes: a sticky 2-regime chain; member A is right (0.7 on the true class) in regime 0 and wrong (0.7 on a
 * wrong class) in regime 1, member B the other way round. Without regimes: one volatility, and each member, on
 * its own, right with probability 0.6 at every row.
 */
export function planted(seed: number, withRegimes: boolean): Planted {
  const rand = seededRandom(seed)
  const y = new Float64Array(N)
  const regime = new Int32Array(N)
  const returns = new Float64Array(N)
  const a = new Float64Array(N * K)
  const b = new Float64Array(N * K)
  let s = 0
  for (let t = 0; t < N; t++) {
    if (withRegimes && rand() < 0.01) s = 1 - s
    regime[t] = s
    returns[t] = standardNormal(rand) * (s === 0 ? 1 : 3)
    y[t] = Math.floor(rand() * K)
    const wrong = (y[t] + 1 + Math.floor(rand() * (K - 1))) % K
    const wrong2 = (y[t] + 1 + Math.floor(rand() * (K - 1))) % K
    if (withRegimes) {
      confident(a, t, s === 0 ? y[t] : wrong, 0.7)
      confident(b, t, s === 1 ? y[t] : wrong2, 0.7)
    } else {
      confident(a, t, rand() < 0.6 ? y[t] : wrong, 0.7)
      confident(b, t, rand() < 0.6 ? y[t] : wrong2, 0.7)
    }
  }
  return { y, regime, returns, a, b }
}

export interface GateOutcome {
  readonly combiner: Combiner
  /** Test-window log-loss of the gate, each member and uniform voting; per-row gate minus voting losses. */
  readonly loss: { gate: number; a: number; b: number; voting: number }
  readonly diff: Float64Array
  readonly weights: Float64Array
  readonly test: Int32Array
  /** The gate's features at rows (undefined when it takes none). */
  readonly extra?: (rows: Int32Array) => Float64Array
}

/** The planted problem's regime probabilities: a regime model fitted on the training rows' returns, filtered. */
function regimeProbabilities(data: Planted, model: 'hmm' | 'markov_switching', states: number): Float64Array[] {
  const spec = regimeModelSchema.parse({ model, states, features: ['log_return'], params: { restarts: 2 } })
  const fitted = fitRegime(spec, data.returns, N, range(0, TRAIN_END), 7)
  return regimeColumns(fitted, data.returns, N).slice(0, states)
}

/** The rows' outcome times (the row index as the clock) and labels: each label closes HORIZON rows later. */
export function plantedOutcomes(y: Float64Array): (rows: Int32Array) => RowOutcomes {
  return (rows) => ({
    time: Float64Array.from(rows),
    closesAt: Float64Array.from(rows, (r) => (r + HORIZON < N ? r + HORIZON : Infinity)),
    label: Float64Array.from(rows, (r) => (r + HORIZON < N ? y[r] : NaN)),
  })
}

/**
 * Train the gate `config` names (the `ensemble` section; its regime, if any, is fitted here on the training rows'
 * returns) on the planted members' out-of-fold outputs, then score the test window.
 */
export async function trainOnPlanted(data: Planted, config: Record<string, unknown>): Promise<GateOutcome> {
  const { entry, params } = parseCombinerConfig(config)
  const p = params as { regime?: { model: 'hmm' | 'markov_switching'; states: number } }
  const probs = p.regime ? regimeProbabilities(data, p.regime.model, p.regime.states) : []
  const names = p.regime ? regimeProbabilityNames('ensemble_regime', p.regime.states) : []
  const extra = {
    names,
    values: (rows: Int32Array) => {
      const out = new Float64Array(rows.length * names.length)
      rows.forEach((r, i) => probs.forEach((c, k) => (out[i * names.length + k] = c[r])))
      return out
    },
  }
  const all = spansForHorizon(N, HORIZON)
  const keep = all.row.findIndex((r) => r >= TRAIN_END - HORIZON)
  const spans = { row: all.row.slice(0, keep), t0: all.t0.slice(0, keep), t1: all.t1.slice(0, keep) }
  const members = [plantedMember('A', data.a), plantedMember('B', data.b)]
  const outcomes = plantedOutcomes(data.y)
  const input: CombinerFitInput = {
    task: TASK,
    spans,
    y: data.y,
    members,
    ...(names.length ? { extra } : {}),
    validation: range(VAL.start, VAL.end),
    outcomes,
  }
  const fit = await entry.fit(params, input, { seed: 11, threads: 1 })
  const test = range(TEST.start, TEST.end)
  const outs = fit.members.map((m) => m.predict(test))
  const out = fit.combiner.predict(outs, names.length ? extra.values(test) : undefined, outcomes(test))
  const yt = Float64Array.from(test, (r) => data.y[r])
  const pa = outs[0].p!
  const pb = outs[1].p!
  const voting = Float64Array.from(pa, (v, i) => (v + pb[i]) / 2)
  // Per row, the gate's log-loss minus voting's: positive where the gate did worse.
  const diff = Float64Array.from(test, (_, i) => {
    const c = yt[i]
    return Math.log(voting[i * K + c]) - Math.log(out.p![i * K + c])
  })
  return {
    combiner: fit.combiner,
    loss: {
      gate: logLoss(out.p!, yt, K),
      a: logLoss(pa, yt, K),
      b: logLoss(pb, yt, K),
      voting: logLoss(voting, yt, K),
    },
    diff,
    weights: out.weights!,
    test,
    ...(names.length ? { extra: extra.values } : {}),
  }
}

/** The planted members' outputs on `rows`, as the gate is given them. */
export function plantedOutputs(data: Planted, rows: Int32Array): Outputs[] {
  return [data.a, data.b].map((p) => {
    const out = new Float64Array(rows.length * K)
    rows.forEach((r, i) => out.set(p.subarray(r * K, (r + 1) * K), i * K))
    return { n: rows.length, classes: K, p: out }
  })
}

/**
 * The gate saved and loaded through the registry answers the first rows of the test window bit for bit as the one
 * trained (probabilities and weights); returns the loaded one.
 */
export async function assertSavedGateAgrees(o: GateOutcome, data: Planted): Promise<Combiner> {
  const dir = tempDir()
  await o.combiner.save(dir)
  const back = await loadCombiner(dir)
  const rows = o.test.subarray(0, 300)
  const outs = plantedOutputs(data, rows)
  const extra = o.extra?.(rows)
  const outcomes = plantedOutcomes(data.y)(rows)
  const a = o.combiner.predict(outs, extra, outcomes)
  const b = back.predict(outs, extra, outcomes)
  assert.deepEqual(Array.from(b.p!), Array.from(a.p!))
  assert.deepEqual(Array.from(b.weights!), Array.from(a.weights!))
  return back
}

/** Mean and standard error of per-row values. */
export function meanAndError(v: Float64Array): { mean: number; se: number } {
  const n = v.length
  const mean = v.reduce((s, x) => s + x, 0) / n
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)
  return { mean, se: Math.sqrt(variance / n) }
}

/** Planted regimes: the gate beats both members and uniform voting on the test window. */
export async function assertBeatsMembersAndVoting(config: Record<string, unknown>, seed = 3): Promise<GateOutcome> {
  const o = await trainOnPlanted(planted(seed, true), config)
  const { loss } = o
  assert.ok(loss.gate < loss.a && loss.gate < loss.b, `gate ${loss.gate} vs members A ${loss.a}, B ${loss.b}`)
  assert.ok(loss.gate < loss.voting, `gate ${loss.gate} vs uniform voting ${loss.voting}`)
  return o
}

/** No regimes: the gate's test log-loss is no worse than voting's by more than two standard errors. */
export async function assertNoWorseThanVoting(config: Record<string, unknown>, seed = 4): Promise<GateOutcome> {
  const o = await trainOnPlanted(planted(seed, false), config)
  const { mean, se } = meanAndError(o.diff)
  assert.ok(mean <= 2 * se, `gate worse than voting by ${mean} nats per row (2 SE = ${2 * se})`)
  return o
}

const AUDIT_LABELS = labelsConfigSchema.parse({ tripleBarrier: { maxHolding: 20, costBps: 0 } })
export const AUDIT_TRAIN = 700

/**
 * The generic leakage audit of a gate on bars: features, triple-barrier labels, a regime model and two members
 * (logistic and Gaussian naive Bayes on four features) fitted on the training rows only (their labels close before
 * AUDIT_TRAIN), the gate trained on their out-of-fold predictions; then every row's regime probabilities and gate
 * weights. Every cut point lies after the training rows.
 */
export function auditGateWeights(config: Record<string, unknown>, smoothed = false, bars = regimeBars(3000, 21)) {
  const { entry, params } = parseCombinerConfig(config)
  const p = params as { regime?: { states: number }; context_features?: readonly string[] }
  return auditLeakageAsync(
    bars,
    async (b: Bars): Promise<AuditTarget[]> => {
      const frame = computeFeatures(b, SMALL_FEATURES)
      const n = b.length
      const labels = tripleBarrier(
        b,
        volatility(b, AUDIT_LABELS.volatility.estimator, AUDIT_LABELS.volatility.window),
        AUDIT_LABELS.tripleBarrier,
      )
      const y = Float64Array.from(labels.label, (l) => l + 1)
      const t1 = Int32Array.from(labels.t1Index, (t, r) => (frame.usable[r] && t >= 0 && t < AUDIT_TRAIN ? t : -1))
      const spans = spansFromT1Index(t1)
      const rows = Int32Array.from(frame.usable.keys()).filter((r) => frame.usable[r] === 1)
      const matrix = featureMatrix(frame, { rows: Int32Array.from({ length: n }, (_, i) => i) })
      const names = ['rsi_1m', 'rsi_5m', 'rv_1m', 'rv_5m']
      const x = selectColumns(matrix, names)
      const view = (r: Int32Array) => {
        const data = new Float64Array(r.length * 4)
        r.forEach((row, i) => data.set(x.data.subarray(row * 4, row * 4 + 4), i * 4))
        return { kind: 'feature_matrix' as const, n: r.length, f: 4, data, names }
      }
      const members = [
        modelFitter({ name: 'logistic', create: () => createModel('logistic', { C: 0.1 }, TASK), view, y }),
        modelFitter({ name: 'gaussian_nb', create: () => createModel('gaussian_nb', {}, TASK), view, y }),
      ]
      let regime: Float64Array[] = []
      const extraNames: string[] = [...(p.context_features ?? [])]
      if (p.regime) {
        const spec = (params as { regime: Parameters<typeof fitRegime>[0] }).regime
        const obs = observeFrame(frame, b, spec.features)
        const fitted = fitRegime(spec, obs, n, range(0, AUDIT_TRAIN), 5)
        regime = regimeColumns(fitted, obs, n).slice(0, spec.states)
        if (smoothed) {
          // The classic bug, deliberately: the HMM's smoothed probabilities over the whole series (rows 1..).
          const d = spec.features.length
          const z = Float64Array.from(obs.subarray(d), (v, i) => (v - fitted.center[i % d]) / fitted.scale[i % d])
          const K = spec.states
          const post = smoothedProbabilitiesLeaky(fitted.hmm!, z, n - 1)
          regime = regime.map((c, k) => Float64Array.from(c, (v, t) => (t === 0 ? v : post[(t - 1) * K + k])))
        }
        extraNames.push(...regimeProbabilityNames('ensemble_regime', spec.states))
      }
      const context = (p.context_features ?? []).map((c) => frame.columns[frame.names.indexOf(c)])
      const values = (r: Int32Array) => {
        const e = extraNames.length
        const out = new Float64Array(r.length * e)
        r.forEach((row, i) => {
          context.forEach((c, j) => (out[i * e + j] = c[row]))
          regime.forEach((c, j) => (out[i * e + context.length + j] = c[row]))
        })
        return out
      }
      const outcomes = (r: Int32Array): RowOutcomes =>
        rowOutcomes(labels, b.ts, r, AUDIT_LABELS.tripleBarrier.maxHolding)
      const fit = await entry.fit(
        { ...(params as object), guard: 'off' },
        {
          task: TASK,
          spans,
          y,
          members,
          ...(extraNames.length ? { extra: { names: extraNames, values } } : {}),
          outcomes,
        },
        { seed: 9, threads: 1 },
      )
      const outs = fit.members.map((m) => m.predict(rows))
      const w = fit.combiner.predict(outs, extraNames.length ? values(rows) : undefined, outcomes(rows)).weights!
      const M = outs.length
      const targets: AuditTarget[] = [
        {
          name: 'gate weights',
          n: rows.length,
          width: M,
          rowOf: (i) => rows[i],
          read: (i, o) => o.set(w.subarray(i * M, (i + 1) * M)),
          label: (k) => `w_${fit.members[k].name}`,
        },
      ]
      if (regime.length)
        targets.push({
          name: 'regime probabilities',
          n,
          width: regime.length,
          rowOf: (i) => i,
          read: (i, o) => regime.forEach((c, k) => (o[k] = c[i])),
          label: (k) => `ensemble_regime_p${k}`,
        })
      return targets
    },
    { cuts: 3, seed: 8 },
  )
}

/** The audit passes: nothing at or before any cut changed. */
export async function assertGateWeightsCausal(config: Record<string, unknown>): Promise<void> {
  const result = await auditGateWeights(config)
  assert.equal(result.findings.length, 0, result.findings.map(formatFinding).join('\n'))
  assert.ok(
    result.cuts.every((c) => c >= AUDIT_TRAIN),
    'every cut lies after the training rows',
  )
  assert.ok(result.targets.some((t) => t.name === 'gate weights' && t.samples > 1000))
}
