import { allocBars, sliceBars, type Bars } from '../data/bars.js'
import { ONE_MINUTE, type Timeframe } from '../data/timeframe.js'
import type { FeaturesConfig } from './config.js'
import { computeFeatures, resolveVolumeMode, type FeatureFrame } from './frame.js'
import type { VolumeMode } from './indicators/volume.js'
import { foundationView, foundationWindow } from './views/foundation.js'
import { featureMatrix } from './views/matrix.js'
import { multiResView, readStacked } from './views/multi-res.js'
import { windowOf, windowTensor } from './views/window.js'
import { seededRandom } from '../core/random.js'

/**
 * Something computed from bars whose samples belong to 1m rows: sample i must depend only on bars up to rowOf(i).
 * `read` writes the sample's `width` values; `label(k)` names value k (a feature, or a view position).
 */
export interface AuditTarget {
  readonly name: string
  readonly n: number
  readonly width: number
  rowOf(i: number): number
  read(i: number, out: Float64Array): void
  label(k: number): string
}

export type AuditCompute = (bars: Bars) => readonly AuditTarget[]

export interface LeakFinding {
  /** the cut point T (1m row) and its time */
  readonly cut: number
  readonly cutTime: string
  /** perturb: bars after T were changed; truncate: bars after T were removed */
  readonly mode: 'perturb' | 'truncate'
  readonly target: string
  /** the offending feature (or view position) at the earliest row that changed */
  readonly feature: string
  readonly row: number
  readonly before: number
  readonly after: number
}

export interface AuditResult {
  readonly ok: boolean
  readonly cuts: readonly number[]
  readonly targets: readonly { name: string; samples: number; width: number }[]
  readonly findings: readonly LeakFinding[]
}

export interface AuditOptions {
  readonly cuts?: number
  readonly seed?: number
}

/** A copy of `bars` whose rows after `cut` have prices scaled by a random factor per bar and volume rescaled. */
export function perturbAfter(bars: Bars, cut: number, rand: () => number): Bars {
  const out = allocBars(bars.length)
  out.ts.set(bars.ts)
  out.open.set(bars.open)
  out.high.set(bars.high)
  out.low.set(bars.low)
  out.close.set(bars.close)
  out.volume.set(bars.volume)
  for (let i = cut + 1; i < bars.length; i++) {
    // one factor per bar keeps low <= open, close <= high
    const f = 0.9 + 0.2 * rand()
    out.open[i] *= f
    out.high[i] *= f
    out.low[i] *= f
    out.close[i] *= f
    out.volume[i] *= 0.5 + rand()
  }
  return out
}

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))
}

/** The cut points T of an audit and, for each, the bars perturbed after T and the bars truncated after T. */
function auditVariants(bars: Bars, options: AuditOptions) {
  const nCuts = options.cuts ?? 3
  const rand = seededRandom(options.seed ?? 1)
  const n = bars.length
  if (n < 10) throw new Error(`leakage audit needs at least 10 bars, got ${n}`)
  const lo = Math.floor(n / 4)
  const cuts = Array.from({ length: nCuts }, () => lo + Math.floor(rand() * (n - 1 - lo))).sort((a, b) => a - b)
  const variants = cuts.flatMap((cut) =>
    (['perturb', 'truncate'] as const).map((mode) => ({
      cut,
      mode,
      bars: mode === 'perturb' ? perturbAfter(bars, cut, rand) : sliceBars(bars, 0, cut + 1),
    })),
  )
  return { cuts, variants }
}

function auditResult(
  cuts: readonly number[],
  baseline: readonly AuditTarget[],
  findings: readonly (LeakFinding | null)[],
): AuditResult {
  const found = findings.filter((f): f is LeakFinding => f !== null)
  return {
    ok: found.length === 0,
    cuts,
    targets: baseline.map((t) => ({ name: t.name, samples: t.n, width: t.width })),
    findings: found,
  }
}

/**
 * Generic leakage audit: for several random cut points T, recompute every target on bars whose rows after T were
 * perturbed, and on bars truncated after T, and require every sample attributed to a row <= T to be bit-identical
 * (NaN equals NaN). Reports, per cut and mode, the earliest changed row and the first feature changed there.
 */
export function auditLeakage(bars: Bars, compute: AuditCompute, options: AuditOptions = {}): AuditResult {
  const { cuts, variants } = auditVariants(bars, options)
  const baseline = compute(bars)
  const findings = variants.map((v) => compare(baseline, compute(v.bars), v.cut, v.mode, bars))
  return auditResult(cuts, baseline, findings)
}

/** The same audit of targets computed asynchronously (a subject that trains models, such as a gate). */
export async function auditLeakageAsync(
  bars: Bars,
  compute: (bars: Bars) => Promise<readonly AuditTarget[]>,
  options: AuditOptions = {},
): Promise<AuditResult> {
  const { cuts, variants } = auditVariants(bars, options)
  const baseline = await compute(bars)
  const findings: (LeakFinding | null)[] = []
  for (const v of variants) findings.push(compare(baseline, await compute(v.bars), v.cut, v.mode, bars))
  return auditResult(cuts, baseline, findings)
}

function compare(
  baseline: readonly AuditTarget[],
  after: readonly AuditTarget[],
  cut: number,
  mode: LeakFinding['mode'],
  bars: Bars,
): LeakFinding | null {
  let worst: LeakFinding | null = null
  for (const a of baseline) {
    const b = after.find((t) => t.name === a.name)
    const cutTime = new Date(bars.ts[cut]).toISOString()
    if (!b) throw new Error(`leakage audit: target ${a.name} disappeared when bars after row ${cut} changed`)
    const va = new Float64Array(a.width)
    const vb = new Float64Array(b.width)
    let j = 0
    for (let i = 0; i < a.n; i++) {
      const row = a.rowOf(i)
      if (row > cut) continue
      // the same sample must exist (samples at or before T are chosen from the past only)
      while (j < b.n && b.rowOf(j) < row) j++
      if (j >= b.n || b.rowOf(j) !== row || b.width !== a.width) {
        const f: LeakFinding = {
          cut,
          cutTime,
          mode,
          target: a.name,
          feature: '(sample set)',
          row,
          before: row,
          after: j < b.n ? b.rowOf(j) : -1,
        }
        if (!worst || row < worst.row) worst = f
        break
      }
      a.read(i, va)
      b.read(j, vb)
      j++
      let k = 0
      while (k < va.length && sameBits(va[k], vb[k])) k++
      if (k < va.length) {
        const f: LeakFinding = {
          cut,
          cutTime,
          mode,
          target: a.name,
          feature: a.label(k),
          row,
          before: va[k],
          after: vb[k],
        }
        if (!worst || row < worst.row) worst = f
        break
      }
    }
  }
  return worst
}

/** Every feature column of a frame as one audit target (sample i = 1m row i). */
export function frameTarget(frame: FeatureFrame): AuditTarget {
  const cols = frame.columns
  return {
    name: 'features',
    n: frame.length,
    width: cols.length,
    rowOf: (i) => i,
    read(i, out) {
      for (let k = 0; k < cols.length; k++) out[k] = cols[k][i]
    },
    label: (k) => frame.names[k],
  }
}

/** The views built from a frame (and its bars), as audit targets. */
export function viewTargets(
  frame: FeatureFrame,
  bars: Bars,
  opts: { windowSteps?: number; context?: number } = {},
): AuditTarget[] {
  const out: AuditTarget[] = []
  const fm = featureMatrix(frame)
  out.push({
    name: 'view feature_matrix',
    n: fm.n,
    width: fm.f,
    rowOf: (i) => fm.rows[i],
    read(i, o) {
      for (let k = 0; k < fm.f; k++) o[k] = fm.data[i * fm.f + k]
    },
    label: (k) => fm.names[k],
  })
  const wt = windowTensor(frame, { steps: opts.windowSteps ?? 60 })
  if (wt.f > 0) {
    out.push({
      name: 'view window_tensor',
      n: wt.n,
      width: wt.steps * wt.f,
      rowOf: (i) => wt.rows[i],
      read(i, o) {
        const w = windowOf(wt, i)
        for (let k = 0; k < w.length; k++) o[k] = w[k]
      },
      label: (k) => `${wt.names[k % wt.f]}[t-${wt.steps - 1 - Math.floor(k / wt.f)}]`,
    })
  }
  const have = (tf: string) => frame.timeframes.some((s) => s.timeframe === tf && s.names.includes(`rsi_${tf}`))
  if (['1m', '5m', '15m', '1h'].every(have)) {
    for (const layout of ['concatenated', 'stacked'] as const) {
      const mr = multiResView(frame, {
        layout,
        parts:
          layout === 'stacked' ? ['1m', '5m', '15m', '1h'].map((timeframe) => ({ timeframe, steps: 4 })) : undefined,
      })
      const width = mr.parts.reduce((s, p) => s + p.steps * p.f, 0)
      const buf = new Float32Array(width)
      const labels = mr.parts.flatMap((p) =>
        Array.from(
          { length: p.steps * p.f },
          (_, k) => `${p.names[k % p.f]}[bar-${p.steps - 1 - Math.floor(k / p.f)}]`,
        ),
      )
      out.push({
        name: `view multi_res ${layout}`,
        n: mr.n,
        width,
        rowOf: (i) => mr.rows[i],
        read(i, o) {
          readStacked(mr, i, buf)
          for (let k = 0; k < width; k++) o[k] = buf[k]
        },
        label: (k) => labels[k],
      })
    }
  }
  const fv = foundationView(bars, { context: opts.context ?? 512 })
  const fbuf = new Float64Array(fv.context * 4)
  out.push({
    name: 'view foundation',
    n: fv.n,
    width: fv.context * 4,
    rowOf: (i) => fv.rows[i],
    read(i, o) {
      o.set(foundationWindow(fv, i, fbuf))
    },
    label: (k) => `${['open', 'high', 'low', 'close'][k % 4]}[t-${fv.context - 1 - Math.floor(k / 4)}]`,
  })
  return out
}

/**
 * The standard audit subject: features of `config` plus every view. The volume mode is decided once from the whole
 * dataset (it is a schema decision recorded in the hash, like the column list), not per prefix.
 */
export function featureAuditCompute(
  config: Readonly<FeaturesConfig>,
  volumeMode: VolumeMode,
  views = true,
  originMs = 0,
  base: Timeframe = ONE_MINUTE,
): AuditCompute {
  return (bars) => {
    const frame = computeFeatures(bars, config, volumeMode, originMs, base)
    return views ? [frameTarget(frame), ...viewTargets(frame, bars)] : [frameTarget(frame)]
  }
}

export function auditFeatures(
  bars: Bars,
  config: Readonly<FeaturesConfig>,
  options: AuditOptions & { views?: boolean; originMs?: number; base?: Timeframe } = {},
): AuditResult {
  const mode = resolveVolumeMode(config, bars)
  return auditLeakage(
    bars,
    featureAuditCompute(config, mode, options.views ?? true, options.originMs ?? 0, options.base),
    options,
  )
}

export function formatFinding(f: LeakFinding): string {
  return `LEAK: ${f.target} ${f.feature} at row ${f.row} changed (${f.before} -> ${f.after}) when bars after T=${f.cut} (${f.cutTime}) were ${f.mode === 'perturb' ? 'perturbed' : 'removed'}`
}
