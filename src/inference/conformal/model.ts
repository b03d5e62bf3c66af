/**
 * Conformalized quantile regression as a model wrapping any quantile model (the idea of Darts' ConformalModel): fit
 * fits the inner model, then measures on the validation set how far targets fall outside its [q05, q95] and keeps
 * that CQR margin; predict widens (or narrows) the inner band by it. The inner model stays a model of its own, so
 * every quantile model (neural, foundation, imported) gets a calibrated band the same way, and none carries CQR
 * inside. It saves as a folder: the inner model in `inner/`, the margin in conformal.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { DataView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs } from '../../models/contract.js'
import { readJson } from '../../models/persist.js'
import { registry } from '../../models/registry.js'
import { applyCqr, fitCqr, type CqrCalibration } from './cqr.js'

export const conformalParams = z.strictObject({
  /** Share of new targets the calibrated band should cover; 0.9 is the nominal coverage of [q05, q95]. */
  coverage: z.number().gt(0).lt(1).default(0.9),
})
export type ConformalParams = z.infer<typeof conformalParams>

export const CONFORMAL_FILE = 'conformal.json'
const FORMAT = 'mlfactory.conformal/1'
const INNER_DIR = 'inner'

const savedSchema = z.strictObject({
  format: z.literal(FORMAT),
  /** The inner model's registry name; it is loaded from `inner/` through the model registry. */
  inner: z.string().min(1),
  margin: z.number().finite(),
  n: z.int().positive(),
  coverage: z.number().gt(0).lt(1),
})

export interface ConformalModel extends Model {
  /** The margin in use, or null before fit. */
  readonly calibration: CqrCalibration | null
}

/** The band outputs a wrapped model must give: CQR widens [q05, q95] and keeps it on either side of q50. */
function band(out: Outputs, who: string): { lo: Float64Array; mid: Float64Array; hi: Float64Array } {
  if (!out.q05 || !out.q50 || !out.q95) throw new Error(`conformal: ${who} gave no q05, q50 and q95`)
  return { lo: out.q05, mid: out.q50, hi: out.q95 }
}

function conformalModel(inner: Model, coverage: number, fitted: CqrCalibration | null): ConformalModel {
  const name = inner.spec.name
  if (inner.task.kind !== 'quantile') {
    throw new Error(`conformal: wraps a quantile model; "${name}" was made for task "${inner.task.kind}"`)
  }
  const missing = (['q05', 'q50', 'q95'] as const).filter((o) => !inner.spec.outputs.includes(o))
  if (missing.length > 0) throw new Error(`conformal: model "${name}" has no ${missing.join(', ')} output`)
  const spec: ModelSpec = {
    ...inner.spec,
    name: 'conformal',
    tasks: ['quantile'],
    // The margin is measured on a validation set, even around a zero-shot model.
    zeroShot: false,
  }
  let calibration = fitted
  return {
    spec,
    task: inner.task,
    parts: [{ name, model: inner, role: 'inner' }],
    get calibration() {
      return calibration
    },
    async fit(train: Dataset, val: Dataset | undefined, ctx: FitContext): Promise<void> {
      if (!val) {
        throw new Error(
          `conformal: fitting needs a validation set (the band's margin is measured on held-out rows, never on the rows "${name}" was fitted on)`,
        )
      }
      calibration = null
      // The inner model sees the validation set too (e.g. for early stopping): one choice among epochs barely biases
      // the margin, and it keeps the inner model as it would be fitted alone.
      await inner.fit(train, val, ctx)
      const out = band(inner.predict(val.x), `model "${name}"`)
      calibration = fitCqr(out.lo, out.hi, val.y, coverage)
    },
    predict(x: DataView): Outputs {
      if (!calibration) throw new Error(`conformal: the band around "${name}" is not calibrated (fit it first)`)
      const out = inner.predict(x)
      const { lo, mid, hi } = band(out, `model "${name}"`)
      const b = applyCqr(calibration, lo, mid, hi)
      return { ...out, q05: b.lo, q95: b.hi }
    },
    async save(dir: string): Promise<ArtifactRefs> {
      if (!calibration) throw new Error(`conformal: the band around "${name}" is not calibrated (fit it first)`)
      await mkdir(join(dir, INNER_DIR), { recursive: true })
      const refs = await inner.save(join(dir, INNER_DIR))
      const saved: z.infer<typeof savedSchema> = { format: FORMAT, inner: name, ...calibration }
      await writeFile(join(dir, CONFORMAL_FILE), `${JSON.stringify(saved, null, 1)}\n`)
      return { files: [CONFORMAL_FILE, ...refs.files.map((f) => `${INNER_DIR}/${f}`)] }
    },
  }
}

/** Wrap a quantile model (fitted by the wrapper's fit) so that its [q05, q95] band is conformalized. */
export function conformalized(inner: Model, params: Partial<ConformalParams> = {}): ConformalModel {
  const parsed = conformalParams.safeParse(params)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`)
    throw new Error(`conformal: invalid parameters: ${issues.join('; ')}`)
  }
  return conformalModel(inner, parsed.data.coverage, null)
}

/** Load a saved conformal wrapper: its margin from conformal.json, the inner model through the model registry. */
export async function loadConformalized(dir: string): Promise<ConformalModel> {
  const saved = await readJson(dir, CONFORMAL_FILE, savedSchema)
  const entry = registry.get(saved.inner)
  if (!entry) throw new Error(`${join(dir, CONFORMAL_FILE)}: inner model "${saved.inner}" is not in the registry`)
  const inner = await entry.load(join(dir, INNER_DIR))
  return conformalModel(inner, saved.coverage, { margin: saved.margin, n: saved.n, coverage: saved.coverage })
}
