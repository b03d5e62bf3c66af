import { z } from 'zod'
import type { ModelSpec } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { xgboostAvailability } from '../../engines/xgboost/library.js'
import { createXgbModel, loadXgbModel } from '../../engines/xgboost/model.js'

/** Gradient-boosted trees, depth-wise histogram growth (XGBoost's `hist`). */
export const xgboostParams = z
  .strictObject({
    n_estimators: z
      .int()
      .min(1)
      .max(100_000)
      .default(500)
      .describe('Boosting rounds (trees); early stopping may end sooner'),
    learning_rate: z.number().gt(0).lte(1).default(0.05).describe('Shrinkage of each new tree (eta)'),
    max_depth: z.int().min(1).max(32).default(6).describe('Maximum depth of a tree'),
    min_child_weight: z
      .number()
      .min(0)
      .default(1)
      .describe('Minimum hessian (weight) sum in a child for a split to be made'),
    subsample: z.number().gt(0).lte(1).default(1).describe('Share of the rows sampled for each tree'),
    colsample_bytree: z.number().gt(0).lte(1).default(1).describe('Share of the features sampled for each tree'),
    reg_lambda: z.number().min(0).default(1).describe('L2 penalty on leaf weights'),
    reg_alpha: z.number().min(0).default(0).describe('L1 penalty on leaf weights'),
    gamma: z.number().min(0).default(0).describe('Minimum loss reduction for a split to be made'),
    max_bin: z.int().min(2).max(65_535).default(256).describe('Histogram bins per feature'),
    /** Rounds without improvement on the validation set before stopping (only when a validation set is given). */
    early_stopping_rounds: z
      .int()
      .min(1)
      .default(50)
      .describe('Rounds without a validation improvement before stopping (with a validation set)'),
    /** XGBoost metric monitored for early stopping; default: the objective's own (logloss, mlogloss, rmse). */
    eval_metric: z
      .enum(['logloss', 'mlogloss', 'error', 'merror', 'auc', 'aucpr', 'rmse', 'mae'])
      .optional()
      .describe("Metric watched for early stopping; default: the objective's own (logloss, mlogloss, rmse)"),
  })
  .readonly()

export type XgboostParams = z.infer<typeof xgboostParams>

export const xgboostSpec: ModelSpec = {
  name: 'xgboost',
  family: 'gradient_boosting',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: false,
}

export const xgboostEntry: ModelEntry<XgboostParams> = {
  spec: xgboostSpec,
  params: xgboostParams,
  available: xgboostAvailability,
  create: (p, task) =>
    createXgbModel(xgboostSpec, task, p, {
      booster: {
        booster: 'gbtree',
        tree_method: 'hist',
        grow_policy: 'depthwise',
        eta: p.learning_rate,
        max_depth: p.max_depth,
        min_child_weight: p.min_child_weight,
        subsample: p.subsample,
        colsample_bytree: p.colsample_bytree,
        lambda: p.reg_lambda,
        alpha: p.reg_alpha,
        gamma: p.gamma,
        max_bin: p.max_bin,
      },
      rounds: p.n_estimators,
      earlyStoppingRounds: p.early_stopping_rounds,
      evalMetric: p.eval_metric,
    }),
  load: (dir) => loadXgbModel(xgboostSpec, dir),
}
