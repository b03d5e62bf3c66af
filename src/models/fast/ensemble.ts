import type { FastPredictor } from './types.js'

/**
 * Weighted average of members' class probabilities (weights normalized to sum 1). Members share the input row
 * and must agree on features and classes.
 */
export function createFastEnsemble(members: readonly FastPredictor[], weights: readonly number[]): FastPredictor {
  if (members.length === 0) throw new Error('fast ensemble: no members')
  if (weights.length !== members.length) {
    throw new Error(`fast ensemble: ${weights.length} weights for ${members.length} members`)
  }
  const { features, classes } = members[0]
  members.forEach((m, i) => {
    if (m.features !== features || m.classes !== classes) {
      throw new Error(
        `fast ensemble: member ${i} has ${m.features} features x ${m.classes} classes, member 0 has ${features} x ${classes}`,
      )
    }
  })
  let total = 0
  for (const w of weights) {
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`fast ensemble: weight ${w} must be finite and >= 0`)
    total += w
  }
  if (!(total > 0)) throw new Error('fast ensemble: weights sum to zero')
  const w = Float64Array.from(weights, (v) => v / total)
  const list = [...members]
  const out = new Float64Array(classes)
  return {
    features,
    classes,
    out,
    predict(x, offset = 0) {
      out.fill(0)
      for (let m = 0; m < list.length; m++) {
        const p = list[m].predict(x, offset)
        const wm = w[m]
        for (let k = 0; k < classes; k++) out[k] += wm * p[k]
      }
      return out
    },
  }
}
