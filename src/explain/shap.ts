/**
 * SHAP values of a model that computes its own (XGBoost's TreeSHAP through its C API): per row, per output group
 * (class), one value per feature and a bias, summing to the row's margin. Summaries for the report and per-row
 * explanations for `mlf predict --explain`.
 */
import type { DataView } from '../features/views/types.js'
import type { Model } from '../models/contract.js'

/** Row-major (rows, groups, features + 1) SHAP values; the last value of each (row, group) is the bias. */
export interface Contributions {
  readonly values: Float64Array
  readonly rows: number
  readonly groups: number
  readonly features: number
}

export type ExplainableModel = Model & Required<Pick<Model, 'contributions' | 'margins'>>

/** Whether the model computes its own SHAP values (and the margin they add up to). */
export function hasShap(model: Model): model is ExplainableModel {
  return typeof model.contributions === 'function' && typeof model.margins === 'function'
}

/** The model's SHAP values on `x`, checked against the shape it must have; never NaN. */
export function contributionsOf(model: ExplainableModel, x: DataView, features: number): Contributions {
  const { values, shape } = model.contributions(x)
  const [rows, groups, width] = shape.length === 3 ? shape : [shape[0], 1, shape[1]]
  if (rows !== x.n || width !== features + 1 || values.length !== rows * groups * width)
    throw new Error(
      `${model.spec.name}: SHAP values of shape [${shape.join(', ')}] for ${x.n} rows of ${features} features`,
    )
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i])) throw new Error(`${model.spec.name}: a SHAP value is ${values[i]}`)
  return { values, rows, groups, features }
}

/** Offset of the (row, group) block of contributions. */
export const blockAt = (c: Contributions, row: number, group: number) => (row * c.groups + group) * (c.features + 1)

/** Per feature, the mean over rows of |SHAP| summed over the groups (classes): the SHAP summary's bar. */
export function meanAbsShap(c: Contributions): Float64Array {
  const out = new Float64Array(c.features)
  for (let i = 0; i < c.rows; i++)
    for (let g = 0; g < c.groups; g++) {
      const at = blockAt(c, i, g)
      for (let j = 0; j < c.features; j++) out[j] += Math.abs(c.values[at + j])
    }
  if (c.rows > 0) for (let j = 0; j < c.features; j++) out[j] /= c.rows
  return out
}

/** Indices of the `top` largest values, largest first (ties by index). */
export function topIndices(values: ArrayLike<number>, top: number): number[] {
  return Array.from({ length: values.length }, (_, j) => j)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, Math.max(0, top))
}

/**
 * Beeswarm points of `features` (column indices) in `group` over `rows` (row indices of c and x): [k, SHAP value,
 * the feature's value as its rank among those rows in [0, 1]], k the feature's place in `features`.
 */
export function beeswarmPoints(
  c: Contributions,
  x: { readonly data: Float64Array; readonly f: number },
  features: readonly number[],
  group: number,
  rows: readonly number[],
): [number, number, number][] {
  const points: [number, number, number][] = []
  const m = rows.length
  features.forEach((j, k) => {
    const order = [...rows].sort((a, b) => x.data[a * x.f + j] - x.data[b * x.f + j])
    const rank = new Map(order.map((i, r) => [i, m > 1 ? r / (m - 1) : 0.5]))
    for (const i of rows) points.push([k, c.values[blockAt(c, i, group) + j], rank.get(i)!])
  })
  return points
}

/** One row's explanation in one group: its margin, bias, and the `top` features by |SHAP|. */
export interface RowExplanation {
  readonly margin: number
  readonly bias: number
  readonly top: readonly { readonly feature: number; readonly shap: number }[]
}

export function explainRow(c: Contributions, row: number, group: number, top: number): RowExplanation {
  const at = blockAt(c, row, group)
  const v = c.values.subarray(at, at + c.features + 1)
  const abs = Array.from(v.subarray(0, c.features), Math.abs)
  let margin = 0
  for (const x of v) margin += x
  return {
    margin,
    bias: v[c.features],
    top: topIndices(abs, top).map((feature) => ({ feature, shap: v[feature] })),
  }
}
