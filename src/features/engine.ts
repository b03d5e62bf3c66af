import type { Bar } from '../data/bars.js'
import { createResampler, type HigherBar, type Resampler } from '../data/resample.js'
import { ONE_MINUTE, parseTimeframe, type Timeframe } from '../data/timeframe.js'
import { groupEnabled, type FeaturesConfig, type GroupName } from './config.js'
import { kernelGroups } from './groups.js'
import type { Kernel, KernelDef, ParamValue } from './indicators/kernel.js'
import type { VolumeMode } from './indicators/volume.js'

/** One output column: where it comes from, so the schema hash covers every parameter that shapes its values. */
export interface ColumnSpec {
  readonly name: string
  readonly group: GroupName
  /** Timeframe the kernel runs on (the base interval for interactions, which combine columns on the base grid). */
  readonly timeframe: string
  readonly kernel: string
  readonly params: Readonly<Record<string, ParamValue>>
  /** bars of its own timeframe before values are valid (interactions: the larger of their inputs' warm-ups) */
  readonly warmup: number
}

interface KernelSlot {
  readonly def: KernelDef
  readonly group: GroupName
  readonly timeframe: Timeframe
  readonly offset: number
}

interface InteractionSlot {
  readonly at: number
  readonly left: number
  readonly right: number
  readonly center: number
  readonly scale: number
}

export interface EnginePlan {
  readonly columns: readonly ColumnSpec[]
  readonly kernels: readonly KernelSlot[]
  readonly interactions: readonly InteractionSlot[]
  readonly volumeMode: VolumeMode
  /** UTC instant (epoch ms) higher-timeframe buckets are anchored to (config `resample.origin`); 0 = the epoch. */
  readonly originMs: number
  /** Interval of the bars pushed (data.interval): the grid of the frame; higher timeframes are resampled from it. */
  readonly base: Timeframe
}

function timeframesOf(names: readonly string[]): Timeframe[] {
  return names.map(parseTimeframe).sort((a, b) => a.ms - b.ms)
}

/** The column layout for a config: kernel groups in GROUP_NAMES order, then timeframes ascending, then outputs. */
export function planFeatures(
  config: Readonly<FeaturesConfig>,
  volumeMode: VolumeMode,
  originMs = 0,
  base: Timeframe = ONE_MINUTE,
): EnginePlan {
  const columns: ColumnSpec[] = []
  const kernels: KernelSlot[] = []
  const index = new Map<string, number>()
  const add = (c: ColumnSpec): number => {
    if (index.has(c.name)) throw new Error(`feature name ${c.name} is produced twice (check interaction names)`)
    index.set(c.name, columns.length)
    columns.push(c)
    return columns.length - 1
  }
  for (const [group, defsOf] of kernelGroups) {
    if (!groupEnabled(config, group)) continue
    for (const tf of timeframesOf(config[group].timeframes)) {
      for (const def of defsOf(config, volumeMode)) {
        const offset = columns.length
        for (const out of def.outputs) {
          add({
            name: `${out}_${tf.name}`,
            group,
            timeframe: tf.name,
            kernel: def.id,
            params: def.params,
            warmup: def.warmup,
          })
        }
        kernels.push({ def, group, timeframe: tf, offset })
      }
    }
  }
  const interactions: InteractionSlot[] = []
  if (groupEnabled(config, 'interactions')) {
    const known = new Set<string>()
    for (const defsOf of kernelGroups.values())
      for (const d of defsOf(config, volumeMode)) for (const o of d.outputs) known.add(o)
    for (const ix of config.interactions.list) {
      const left = index.get(ix.left)
      const right = index.get(ix.right)
      if (left === undefined || right === undefined) {
        // Inputs this config does not compute (group ablated or not run on that timeframe) drop the interaction;
        // a name that no kernel could ever produce is a typo and an error.
        const missing = left === undefined ? ix.left : ix.right
        const m = /^(.+)_(\d+[mhd])$/.exec(missing)
        if (m && known.has(m[1])) continue
        throw new Error(`features.interactions: ${ix.name} uses ${missing}, which no feature kernel produces`)
      }
      const at = add({
        name: ix.name,
        group: 'interactions',
        timeframe: base.name,
        kernel: 'product',
        params: { left: ix.left, right: ix.right, leftCenter: ix.leftCenter, leftScale: ix.leftScale },
        warmup: Math.max(columns[left].warmup, columns[right].warmup),
      })
      interactions.push({ at, left, right, center: ix.leftCenter, scale: ix.leftScale })
    }
  }
  return { columns, kernels, interactions, volumeMode, originMs, base }
}

/** Columns of one timeframe in the engine's row (the kernels that run on its closed bars). */
export interface EngineTimeframe {
  readonly timeframe: Timeframe
  readonly columns: Int32Array
}

/**
 * The streaming feature engine. `push` takes the next closed 1m bar; `row` then holds every feature for it. Kernels
 * of a higher timeframe run on that timeframe's bars as the resampler emits them closed, writing straight into their
 * slots of `row`, which therefore keeps showing the latest closed value until the next one (forward fill). A higher bar
 * is emitted by the 1m bar that completes it (or by the first bar after a gap), so its value reaches exactly the 1m
 * rows whose close is at or after the higher bar's close.
 */
export interface FeatureEngine {
  readonly plan: EnginePlan
  readonly names: readonly string[]
  readonly timeframes: readonly EngineTimeframe[]
  /** Current feature values (reused between pushes: copy what you keep). NaN while a kernel warms up. */
  readonly row: Float64Array
  push(bar: Bar): void
  /** True once every feature is past its warm-up. */
  usable(): boolean
  /** 1m bars pushed so far. */
  pushed(): number
}

export interface EngineOptions {
  /** Called when a timeframe's kernels have consumed a newly closed bar (timeframe index, 1m row index). */
  onEmit?: (timeframe: number, row: number) => void
}

interface Node {
  readonly index: number
  readonly timeframe: Timeframe
  readonly resampler: Resampler | null
  readonly kernels: Kernel[]
  readonly offsets: Int32Array
  readonly widths: Int32Array
  readonly warmups: Int32Array
  /** distinct warm-ups ascending, with the number of columns that become ready at each */
  readonly readyAt: Int32Array
  readonly readyCols: Int32Array
  readyPtr: number
  count: number
}

export function createFeatureEngine(plan: EnginePlan, options: EngineOptions = {}): FeatureEngine {
  const f = plan.columns.length
  const row = new Float64Array(f).fill(Number.NaN)
  const byTf = new Map<number, KernelSlot[]>()
  for (const k of plan.kernels) {
    const list = byTf.get(k.timeframe.ms) ?? []
    list.push(k)
    byTf.set(k.timeframe.ms, list)
  }
  const nodes: Node[] = [...byTf.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ms, slots], index) => {
      const warm = new Map<number, number>()
      for (const s of slots) warm.set(s.def.warmup, (warm.get(s.def.warmup) ?? 0) + s.def.outputs.length)
      const ws = [...warm.keys()].sort((a, b) => a - b)
      const timeframe = slots[0].timeframe
      return {
        index,
        timeframe,
        resampler: ms === plan.base.ms ? null : createResampler(timeframe, plan.originMs, plan.base.ms),
        kernels: slots.map((s) => s.def.create()),
        offsets: Int32Array.from(slots.map((s) => s.offset)),
        widths: Int32Array.from(slots.map((s) => s.def.outputs.length)),
        warmups: Int32Array.from(slots.map((s) => s.def.warmup)),
        readyAt: Int32Array.from(ws),
        readyCols: Int32Array.from(ws.map((w) => warm.get(w) ?? 0)),
        readyPtr: 0,
        count: 0,
      }
    })
  const timeframes: EngineTimeframe[] = nodes.map((n) => ({
    timeframe: n.timeframe,
    columns: Int32Array.from(
      plan.kernels
        .filter((k) => k.timeframe.ms === n.timeframe.ms)
        .flatMap((k) => k.def.outputs.map((_, j) => k.offset + j)),
    ),
  }))
  let notReady = plan.kernels.reduce((s, k) => s + k.def.outputs.length, 0)
  let rowIndex = -1
  let lastTs = Number.NEGATIVE_INFINITY
  const onEmit = options.onEmit
  const ixs = plan.interactions

  const updateNode = (node: Node, bar: Bar): void => {
    const count = ++node.count
    const { kernels, offsets, widths, warmups } = node
    for (let j = 0; j < kernels.length; j++) {
      const at = offsets[j]
      kernels[j].update(bar, row, at)
      if (count < warmups[j]) row.fill(Number.NaN, at, at + widths[j])
    }
    while (node.readyPtr < node.readyAt.length && node.readyAt[node.readyPtr] <= count) {
      notReady -= node.readyCols[node.readyPtr++]
    }
    if (onEmit) onEmit(node.index, rowIndex)
  }
  const sinks = nodes.map((node) => (hb: HigherBar) => updateNode(node, hb))

  return {
    plan,
    names: plan.columns.map((c) => c.name),
    timeframes,
    row,
    pushed: () => rowIndex + 1,
    usable: () => notReady === 0,
    push(bar) {
      if (!(bar.ts > lastTs)) {
        throw new Error(
          `feature engine: bar at ${new Date(bar.ts).toISOString()} is not after the previous bar (${new Date(lastTs).toISOString()})`,
        )
      }
      lastTs = bar.ts
      rowIndex++
      for (let k = 0; k < nodes.length; k++) {
        const node = nodes[k]
        if (node.resampler === null) updateNode(node, bar)
        else node.resampler.push(bar, rowIndex, sinks[k])
      }
      for (let k = 0; k < ixs.length; k++) {
        const x = ixs[k]
        row[x.at] = ((row[x.left] - x.center) / x.scale) * row[x.right]
      }
    },
  }
}
