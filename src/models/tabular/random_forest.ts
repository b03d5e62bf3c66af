import { z } from 'zod'
import type { ModelSpec } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { xgboostAvailability } from '../../engines/xgboost/library.js'
import { createXgbModel, loadXgbModel } from '../../engines/xgboost/model.js'

/**
 * Random forest in XGBoost's forest mode: one boosting round of `n_estimators` parallel trees, learning rate 1, each
 * tree on a row subsample and a per-node column subsample.
 */
export const randomForestParams = z
  .strictObject({
    n_estimators: z.int().min(1).max(10_000).default(200).describe('Trees in the forest'),
    max_depth: z.int().min(1).max(32).default(8).describe('Maximum depth of a tree'),
    subsample: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.632)
      .describe('Share of the rows each tree is fitted on (sampled without replacement)'),
    colsample_bynode: z.number().gt(0).lte(1).default(0.8).describe('Share of the features considered at each split'),
    min_child_weight: z
      .number()
      .min(0)
      .default(1)
      .describe('Minimum hessian (weight) sum in a child for a split to be made'),
    reg_lambda: z
      .number()
      .min(0)
      .default(1e-5)
      .describe('L2 penalty on leaf weights (near 0: leaves are plain averages)'),
    max_bin: z.int().min(2).max(65_535).default(256).describe('Histogram bins per feature'),
  })
  .readonly()

export type RandomForestParams = z.infer<typeof randomForestParams>

export const randomForestSpec: ModelSpec = {
  name: 'random_forest',
  family: 'forest',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: false,
}

export const randomForestEntry: ModelEntry<RandomForestParams> = {
  spec: randomForestSpec,
  params: randomForestParams,
  available: xgboostAvailability,
  create: (p, task) =>
    createXgbModel(randomForestSpec, task, p, {
      booster: {
        booster: 'gbtree',
        tree_method: 'hist',
        num_parallel_tree: p.n_estimators,
        eta: 1,
        max_depth: p.max_depth,
        subsample: p.subsample,
        colsample_bynode: p.colsample_bynode,
        min_child_weight: p.min_child_weight,
        lambda: p.reg_lambda,
        max_bin: p.max_bin,
      },
      // One round: every tree fits the same gradient; there is nothing for early stopping to choose.
      rounds: 1,
    }),
  load: (dir) => loadXgbModel(randomForestSpec, dir),
}
