/**
 * `mlf predict --explain`: why a bundle's model answered as it did. `shap`: per prediction, the features with the
 * largest SHAP values (XGBoost's TreeSHAP through its C API) on the margin of the class the chain predicts, written
 * beside the predictions. `permutation`: for models without SHAP values, one table of permutation importance on the
 * file's rows whose labels are known (no per-prediction values exist for it).
 */
import { deriveSeed } from '../core/seeds.js'
import { selectColumns } from '../ensemble/voting.js'
import { contributionsOf, explainRow, hasShap } from '../explain/shap.js'
import { permutationImportance } from '../explain/permutation.js'
import type { FeatureMatrixView } from '../features/views/types.js'
import type { LoadedBundle, Scored } from './bundle.js'
import { CLASS_NAMES, labelsOf, matrixFor } from './dataset.js'
import { K } from './predict.js'
import { evenlySpaced } from './stages/report-records.js'

export const EXPLAIN_METHODS = ['shap', 'permutation'] as const
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number]

/** Most labelled rows permutation importance is measured on (evenly spaced through the file). */
export const PREDICT_PERMUTATION_ROWS = 5000

/** The side file's path: `preds.csv` -> `preds.explain.csv` (shap) or `preds.importance.csv` (permutation). */
export function explainPath(out: string, method: ExplainMethod): string {
  const stem = out.replace(/\.csv$/i, '')
  return `${stem}.${method === 'shap' ? 'explain' : 'importance'}.csv`
}

function modelMatrix(bundle: LoadedBundle, scored: Scored, rows: Int32Array): FeatureMatrixView {
  const all = matrixFor(scored.frame, rows)
  return bundle.features ? selectColumns(all, bundle.features) : all
}

const modelName = (bundle: LoadedBundle) => bundle.manifest.models.find((m) => m.role === 'final')?.name ?? '?'

const noShap = (bundle: LoadedBundle) =>
  new Error(
    `mlf predict --explain shap: the bundle's model ${modelName(bundle)} has no SHAP values (XGBoost's tree models ` +
      'have them: xgboost, xgboost_leafwise, random_forest; an ensemble does not); use --explain permutation for ' +
      "permutation importance on the file's labelled rows",
  )

/** Refuses, naming the model and what to do instead, a method the bundle's model cannot be explained by. */
export function assertExplainable(bundle: LoadedBundle, method: ExplainMethod): void {
  const model = bundle.model
  if (method === 'shap' && !hasShap(model)) throw noShap(bundle)
  if (method === 'permutation' && model.spec.inputView !== 'feature_matrix')
    throw new Error(
      `mlf predict --explain permutation: the bundle's model ${modelName(bundle)} takes a ${model.spec.inputView} ` +
        'view; permutation importance here shuffles feature-matrix columns',
    )
}

/**
 * Per scored row: its bar, the class the chain predicts, that class's margin and bias, then for k = 1..top the k-th
 * feature by |SHAP| with its value and SHAP value. Refuses a model without SHAP values, naming it.
 */
export function shapExplanationsCsv(bundle: LoadedBundle, scored: Scored, top: number): string {
  const model = bundle.model
  if (!hasShap(model)) throw noShap(bundle)
  const x = modelMatrix(bundle, scored, scored.rows)
  const c = contributionsOf(model, x, x.f)
  const head = ['ts', 'class', 'margin', 'bias']
  for (let k = 1; k <= Math.min(top, x.f); k++) head.push(`feature_${k}`, `value_${k}`, `shap_${k}`)
  const lines = [head.join(',')]
  for (let i = 0; i < c.rows; i++) {
    let predicted = 0
    for (let j = 1; j < K; j++) if (scored.p[i * K + j] > scored.p[i * K + predicted]) predicted = j
    // A binary model has one margin (the up class's log-odds); a multiclass one a margin per class.
    const group = c.groups === K ? predicted : 0
    const e = explainRow(c, i, group, top)
    const cells: (string | number)[] = [
      new Date(scored.bars.ts[scored.rows[i]]).toISOString(),
      c.groups === K ? CLASS_NAMES[predicted] : 'up',
      e.margin,
      e.bias,
    ]
    for (const t of e.top) cells.push(x.names[t.feature], x.data[i * x.f + t.feature], t.shap)
    lines.push(cells.join(','))
  }
  return `${lines.join('\n')}\n`
}

/** Permutation importance of the bundle's model on the file's labelled rows, as CSV; and what it was measured on. */
export function permutationCsv(bundle: LoadedBundle, scored: Scored): { csv: string; rows: number; baseline: number } {
  const model = bundle.model
  assertExplainable(bundle, 'permutation')
  const { labels } = labelsOf(scored.bars, bundle.config)
  const labelled = scored.rows.filter((r) => labels.t1Index[r] >= 0)
  if (labelled.length < 2)
    throw new Error(
      `mlf predict --explain permutation: ${labelled.length} scored row(s) have a known label; it needs rows whose ` +
        'triple-barrier outcome lies inside the file',
    )
  const rows = evenlySpaced(labelled, PREDICT_PERMUTATION_ROWS)
  const y = Float64Array.from(rows, (r) => labels.label[r] + 1)
  const x = modelMatrix(bundle, scored, rows)
  const r = permutationImportance(model, x, y, K, {
    seed: deriveSeed(bundle.config.seed, 'explain', 'permutation'),
    repeats: 1,
  })
  const order = Array.from({ length: x.f }, (_, j) => j).sort((a, b) => r.increase[b] - r.increase[a] || a - b)
  const lines = ['feature,log_loss_increase', ...order.map((j) => `${x.names[j]},${r.increase[j]}`)]
  return { csv: `${lines.join('\n')}\n`, rows: r.rows, baseline: r.baseline }
}
