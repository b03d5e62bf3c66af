/**
 * Regime stage: the window's regime models, each fitted on the training window's rows only and run forward (filtered,
 * never smoothed) over every row of the data, their columns appended to the frame the window's chain reads.
 *
 * - `features.regime_model`: columns regime_p0.., regime_duration, regime_state, a feature group every model sees.
 * - `ensemble.regime`: columns ensemble_regime_*, read by the combiner alone (a gate's regime, or a stacker's
 *   meta-features); the members never see them, so changing the combiner never changes what the members learn.
 *
 * The fitted models are links of the chain: the bundle holds them, and scoring appends the same columns.
 */
import type { Bars } from '../../data/bars.js'
import type { FeatureFrame } from '../../features/frame.js'
import { observeFrame } from '../../models/regime/observations.js'
import { fitRegime, regimeColumns, type FittedRegime } from '../../models/regime/regime-features.js'
import { regimeColumnNames, type RegimeModelSpec } from '../../models/regime/spec.js'
import type { ResolvedConfig } from '../../config/load.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { EvalWindow } from './windows.js'

/** Column prefix of `features.regime_model`, and of `ensemble.regime`. */
export const FEATURE_REGIME = 'regime'
export const ENSEMBLE_REGIME = 'ensemble_regime'

/** A fitted regime model of the chain and the prefix of its columns. */
export interface RegimeLink {
  readonly prefix: string
  readonly fitted: FittedRegime
}

/** The regime models a config asks for, with their column prefixes, in chain order. */
export function regimeSpecs(config: Pick<ResolvedConfig, 'features' | 'ensemble'>): {
  prefix: string
  spec: RegimeModelSpec
}[] {
  const out: { prefix: string; spec: RegimeModelSpec }[] = []
  if (config.features.regime_model) out.push({ prefix: FEATURE_REGIME, spec: config.features.regime_model })
  const ensemble = config.ensemble
  if (ensemble && 'regime' in ensemble && ensemble.regime) out.push({ prefix: ENSEMBLE_REGIME, spec: ensemble.regime })
  return out
}

/** Every regime model of the config fitted on the window's training rows (seeds: run, 'regime', window, prefix). */
export function fitWindowRegimes(ctx: RunContext, data: RunData, window: EvalWindow): RegimeLink[] {
  const { frame } = data.lf
  return regimeSpecs(ctx.config).map(({ prefix, spec }) => {
    const obs = observeFrame(frame, data.bars, spec.features)
    try {
      const fitted = fitRegime(spec, obs, frame.length, window.train, ctx.seed('regime', window.key, prefix))
      return { prefix, fitted }
    } catch (err) {
      const where = prefix === FEATURE_REGIME ? 'features.regime_model' : 'ensemble.regime'
      throw new Error(`${where}: ${(err as Error).message}`)
    }
  })
}

/**
 * The frame with the regime models' columns appended (filtered over every row from the first). The schema stays the
 * bar features' own: the bundle checks that, and carries the regime models as links of its chain.
 */
export function withRegimeColumns(frame: FeatureFrame, bars: Bars, regimes: readonly RegimeLink[]): FeatureFrame {
  if (regimes.length === 0) return frame
  const names = [...frame.names]
  const columns = [...frame.columns]
  for (const { prefix, fitted } of regimes) {
    const added = regimeColumnNames(prefix, fitted.states)
    const clash = added.find((n) => names.includes(n))
    if (clash) throw new Error(`regime model ${prefix}: column ${clash} is already a feature`)
    const obs = observeFrame(frame, bars, fitted.features)
    names.push(...added)
    columns.push(...regimeColumns(fitted, obs, frame.length))
  }
  return { ...frame, names, columns }
}

/**
 * The feature-matrix columns the members may see: every column but the ensemble regime's (null: all of them, when
 * there is no ensemble regime).
 */
export function memberColumns(frame: Pick<FeatureFrame, 'names'>): readonly string[] | null {
  const hidden = `${ENSEMBLE_REGIME}_`
  if (!frame.names.some((n) => n.startsWith(hidden))) return null
  return frame.names.filter((n) => !n.startsWith(hidden))
}

/** A member's feature slice: its own, else (a feature-matrix member) every column it may see. */
export function memberSlice(
  own: readonly string[] | undefined,
  inputView: string,
  frame: Pick<FeatureFrame, 'names'>,
): readonly string[] | undefined {
  if (own || inputView !== 'feature_matrix') return own
  return memberColumns(frame) ?? undefined
}

/** The window's data with its frame carrying the regime columns. */
export function withRegimes(data: RunData, regimes: readonly RegimeLink[]): RunData {
  if (regimes.length === 0) return data
  return { ...data, lf: { ...data.lf, frame: withRegimeColumns(data.lf.frame, data.bars, regimes) } }
}
