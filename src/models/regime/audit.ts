import type { Bars } from '../../data/bars.js'
import type { AuditTarget } from '../../features/audit.js'
import type { FeatureFrame } from '../../features/frame.js'
import { observeFrame } from './observations.js'
import { fitRegime, regimeColumns } from './regime-features.js'
import { regimeColumnNames, type RegimeModelSpec } from './spec.js'

/**
 * Regime features as a leakage-audit target: the model fitted on rows [0, trainEnd) of `frame` (the audit's cut
 * points lie after them, so the fit itself never sees a perturbed bar), then filtered over every row.
 */
export function regimeAuditTarget(
  spec: RegimeModelSpec,
  frame: FeatureFrame,
  bars: Bars,
  trainEnd: number,
  seed: number,
  prefix = 'regime',
): AuditTarget {
  const obs = observeFrame(frame, bars, spec.features)
  const train = Int32Array.from({ length: trainEnd }, (_, i) => i)
  const cols = regimeColumns(fitRegime(spec, obs, frame.length, train, seed), obs, frame.length)
  const names = regimeColumnNames(prefix, spec.states)
  return {
    name: `regime model ${prefix}`,
    n: frame.length,
    width: cols.length,
    rowOf: (i) => i,
    read(i, o) {
      for (let k = 0; k < cols.length; k++) o[k] = cols[k][i]
    },
    label: (k) => names[k],
  }
}
