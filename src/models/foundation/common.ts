/**
 * Shared plumbing of the zero-shot foundation adapters: an ONNX export of the model (a local file named in the
 * config; nothing is ever downloaded) runs on each sample's 1m close-price context after the model's own scaling,
 * and its quantile forecast at the chosen horizon becomes the Outputs contract: q05/q50/q95 and E_r as simple
 * returns from the last close, p_up as the forecast probability that the close rises.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { createOnnxSession, onnxAvailability, type OnnxSession } from '../../engines/onnx/session.js'
import type { DataView, FoundationView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { readModelJson, savedModelFields } from '../persist.js'

export const foundationParams = z.strictObject({
  /** Local path of the ONNX export (see docs/foundation-models.md). */
  path: z.string().min(1).describe('Local path of the ONNX export (see docs/foundation-models.md)'),
  /** Forecast step (in 1m bars ahead) whose quantiles become the outputs; must lie within the model's horizon. */
  horizon: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(1)
    .describe("Forecast step (bars ahead) whose quantiles become the outputs; within the model's horizon"),
  /** Samples per ONNX run. */
  batchSize: z.number().int().min(1).max(4096).default(64).describe('Samples per ONNX run'),
  /** onnxruntime intra-op threads (1 keeps results independent of the machine). */
  threads: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(1)
    .describe('onnxruntime intra-op threads (1 keeps results independent of the machine)'),
})
export type FoundationParams = z.infer<typeof foundationParams>

/** What one adapter knows about its model: scaling, how to run a batch, and its quantile levels. */
export interface FoundationAdapter {
  readonly spec: ModelSpec
  /** Quantile levels of the forecast, increasing. */
  readonly levels: readonly number[]
  /** Check the graph's inputs/outputs, throwing a clear error naming `source` when they do not match. */
  checkGraph(session: OnnxSession, source: string): void
  /** Scale one context in place; returns the inverse (scaled value -> price). */
  scale(context: Float32Array): (v: number) => number
  /**
   * Run a batch of scaled contexts (B, L) row-major; returns (B, levels) quantiles at `horizon` (scaled units)
   * and, when the model emits one, its mean forecast (B).
   */
  run(
    session: OnnxSession,
    contexts: Float32Array,
    b: number,
    length: number,
    horizon: number,
    source: string,
  ): { quantiles: Float64Array; mean?: Float64Array }
}

const FORMAT = 'mlf-foundation/1'
const ONNX_FILE = 'model.onnx'

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2))
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2)
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2
}

/** Standard normal quantile by bisection on normalCdf (only a handful of levels are ever needed). */
export function normalQuantile(p: number): number {
  let lo = -10
  let hi = 10
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2
    if (normalCdf(mid) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * Quantile at `level` from a forecast's quantiles (increasing levels, sorted values): linear between known levels;
 * beyond the outermost level, a normal tail through the median and that level (Chronos-Bolt and TimesFM emit
 * 0.1..0.9, so q05 and q95 are extrapolated this way).
 */
export function quantileAt(levels: readonly number[], values: ArrayLike<number>, level: number): number {
  const k = levels.length
  const at = levels.findIndex((l) => Math.abs(l - level) < 1e-12)
  if (at >= 0) return values[at]
  const median = interpolate(levels, values, 0.5)
  if (level < levels[0]) {
    const ratio = normalQuantile(level) / normalQuantile(levels[0])
    return median + (values[0] - median) * ratio
  }
  if (level > levels[k - 1]) {
    const ratio = normalQuantile(level) / normalQuantile(levels[k - 1])
    return median + (values[k - 1] - median) * ratio
  }
  return interpolate(levels, values, level)
}

function interpolate(levels: readonly number[], values: ArrayLike<number>, level: number): number {
  for (let j = 0; j + 1 < levels.length; j++) {
    if (level >= levels[j] && level <= levels[j + 1]) {
      const w = (level - levels[j]) / (levels[j + 1] - levels[j])
      return values[j] + w * (values[j + 1] - values[j])
    }
  }
  throw new Error(`quantile level ${level} lies outside [${levels[0]}, ${levels[levels.length - 1]}]`)
}

/** P(X <= x) from the forecast's quantiles: linear inside the known levels, normal tails outside (as quantileAt). */
export function cdfAt(levels: readonly number[], values: ArrayLike<number>, x: number): number {
  const k = levels.length
  const median = interpolate(levels, values, 0.5)
  if (x < values[0]) {
    const spread = (median - values[0]) / -normalQuantile(levels[0])
    return spread > 0 ? normalCdf((x - median) / spread) : 0
  }
  if (x > values[k - 1]) {
    const spread = (values[k - 1] - median) / normalQuantile(levels[k - 1])
    return spread > 0 ? normalCdf((x - median) / spread) : 1
  }
  for (let j = 0; j + 1 < k; j++) {
    if (x >= values[j] && x <= values[j + 1]) {
      const d = values[j + 1] - values[j]
      return d > 0 ? levels[j] + ((x - values[j]) / d) * (levels[j + 1] - levels[j]) : levels[j]
    }
  }
  return 0.5
}

function asFoundationView(x: DataView, name: string): FoundationView {
  if (x.kind !== 'foundation') throw new Error(`model "${name}" takes a foundation view, got ${x.kind}`)
  const rows = x.base.length / 4
  for (let i = 0; i < x.n; i++) {
    const e = x.end[i]
    if (e < x.context - 1 || e >= rows)
      throw new Error(`foundation view: sample ${i} ends at row ${e}, outside [${x.context - 1}, ${rows - 1}]`)
  }
  return x
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

const metaSchema = z
  .object({
    ...savedModelFields,
    onnxSha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
  })
  .strict()

interface Meta {
  readonly format: string
  readonly name: string
  readonly params: FoundationParams
  readonly task: Task
  readonly onnxSha256: string
}

function createFoundationModel(
  a: FoundationAdapter,
  params: FoundationParams,
  task: Task,
  onnxPath: string,
  expectedSha?: string,
): Model {
  const name = a.spec.name
  if (!a.spec.tasks.includes(task.kind)) {
    throw new Error(`model "${name}" does not support task "${task.kind}" (supports: ${a.spec.tasks.join(', ')})`)
  }
  if (task.kind === 'quantile' && task.quantiles.join(',') !== '0.05,0.5,0.95') {
    throw new Error(`model "${name}": quantile task must ask for [0.05, 0.5, 0.95], got [${task.quantiles.join(', ')}]`)
  }
  let session: OnnxSession | null = null
  let digest = ''
  const open = (): OnnxSession => {
    if (session) return session
    if (!existsSync(onnxPath)) {
      throw new Error(
        `model "${name}": ONNX file ${onnxPath} does not exist; export the checkpoint as docs/foundation-models.md describes`,
      )
    }
    digest = sha256(onnxPath)
    if (expectedSha && digest !== expectedSha)
      throw new Error(`${onnxPath}: checksum mismatch (file is corrupt or was changed)`)
    const s = createOnnxSession(readFileSync(onnxPath), onnxPath, params.threads)
    a.checkGraph(s, onnxPath)
    session = s
    return s
  }
  return {
    spec: a.spec,
    task,
    // Zero-shot: nothing is learned; fitting only checks that the export can be opened and has the right signature.
    async fit(_train: Dataset, _val: Dataset | undefined, _ctx: FitContext): Promise<void> {
      open()
    },
    predict(x: DataView): Outputs {
      const s = open()
      const v = asFoundationView(x, name)
      const L = v.context
      const n = v.n
      const out = {
        p_up: new Float64Array(n),
        E_r: new Float64Array(n),
        q05: new Float64Array(n),
        q50: new Float64Array(n),
        q95: new Float64Array(n),
      }
      const k = a.levels.length
      const bs = params.batchSize
      const ctx = new Float32Array(bs * L)
      const inverse: ((v: number) => number)[] = new Array<(v: number) => number>(bs)
      const last = new Float64Array(bs)
      const prices = new Float64Array(k)
      for (let from = 0; from < n; from += bs) {
        const b = Math.min(bs, n - from)
        for (let r = 0; r < b; r++) {
          const i = from + r
          const start = v.end[i] - L + 1
          const row = ctx.subarray(r * L, (r + 1) * L)
          for (let j = 0; j < L; j++) row[j] = v.base[(start + j) * 4 + 3]
          last[r] = v.base[v.end[i] * 4 + 3]
          if (!(last[r] > 0))
            throw new Error(
              `model "${name}": sample ${i} has close ${last[r]} at row ${v.end[i]}; prices must be positive`,
            )
          inverse[r] = a.scale(row)
        }
        const res = a.run(s, ctx.subarray(0, b * L), b, L, params.horizon, params.path)
        for (let r = 0; r < b; r++) {
          const i = from + r
          for (let j = 0; j < k; j++) prices[j] = inverse[r](res.quantiles[r * k + j])
          // Monotone by construction of the decoding: sort guards against a model whose quantiles cross.
          prices.sort()
          const ret = (p: number): number => p / last[r] - 1
          out.q05[i] = ret(quantileAt(a.levels, prices, 0.05))
          out.q50[i] = ret(quantileAt(a.levels, prices, 0.5))
          out.q95[i] = ret(quantileAt(a.levels, prices, 0.95))
          // E_r: the model's mean forecast when it has one, else the mean of its quantiles (a quadrature of the mean).
          let mean = 0
          if (res.mean) mean = inverse[r](res.mean[r])
          else {
            for (let j = 0; j < k; j++) mean += prices[j] / k
          }
          out.E_r[i] = ret(mean)
          out.p_up[i] = 1 - cdfAt(a.levels, prices, last[r])
          for (const key of ['q05', 'q50', 'q95', 'E_r', 'p_up'] as const) {
            if (!Number.isFinite(out[key][i])) throw new Error(`model "${name}": ${key} is not finite at sample ${i}`)
          }
        }
      }
      return { n, ...out }
    },
    async save(dir: string): Promise<ArtifactRefs> {
      open()
      mkdirSync(dir, { recursive: true })
      // The export travels with the bundle, checksummed, so a bundle never depends on a path outside it.
      copyFileSync(onnxPath, join(dir, ONNX_FILE))
      const meta: Meta = { format: FORMAT, name, params, task, onnxSha256: digest }
      writeFileSync(join(dir, 'model.json'), JSON.stringify(meta, null, 1) + '\n')
      return { files: ['model.json', ONNX_FILE] }
    },
  }
}

/** A registry entry for a foundation adapter. */
export function foundationEntry(a: FoundationAdapter): ModelEntry<FoundationParams> {
  return {
    spec: a.spec,
    params: foundationParams,
    available: onnxAvailability,
    create: (params, task) => createFoundationModel(a, params, task, params.path),
    async load(dir: string): Promise<Model> {
      const path = join(dir, 'model.json')
      const expect = { format: FORMAT, name: a.spec.name, params: foundationParams }
      const { meta, params } = readModelJson(path, metaSchema, expect)
      const m = meta as Meta
      return createFoundationModel(a, params, m.task, join(dir, ONNX_FILE), m.onnxSha256)
    },
  }
}

/** Find a graph input/output by name or fail naming the file and what it has. */
export function requireTensor(
  list: OnnxSession['inputs'],
  name: string,
  rank: number,
  what: string,
  source: string,
): void {
  const t = list.find((x) => x.name === name)
  if (!t) {
    throw new Error(
      `${source}: the graph has no ${what} "${name}" (has ${list.map((x) => x.name).join(', ')}); export it as docs/foundation-models.md describes`,
    )
  }
  if (t.type !== 'float32') throw new Error(`${source}: ${what} "${name}" is ${t.type}, expected float32`)
  if (t.shape.length !== rank)
    throw new Error(`${source}: ${what} "${name}" has rank ${t.shape.length}, expected ${rank}`)
}

/** A fixed (numeric) dimension of a graph tensor, or null when it is symbolic. */
export function fixedDim(list: OnnxSession['outputs'], name: string, axis: number): number | null {
  const d = list.find((x) => x.name === name)?.shape[axis]
  return typeof d === 'number' && d > 0 ? d : null
}
