import type { SklearnModel } from '../imported/sklearn.js'
import { fastFromSklearnNb } from './gaussian_nb.js'
import { createFastLinear } from './linear.js'
import type { FastPredictor } from './types.js'

/** Fast predictor of an imported scikit-learn export (linear softmax or Gaussian NB). */
export function fastFromSklearn(m: SklearnModel): FastPredictor {
  if (m.kind === 'gaussian_nb') return fastFromSklearnNb(m)
  return createFastLinear({ coef: m.weights, intercept: m.bias, link: 'softmax' })
}
