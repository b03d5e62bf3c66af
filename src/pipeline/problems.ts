/**
 * What in a config `mlf run` cannot do, refused before any work: nothing in a config is accepted and then ignored.
 */
import { statSync } from 'node:fs'
import type { ResolvedConfig } from '../config/load.js'
import { baseInterval } from '../config/schema.js'
import { canonicalJson } from '../config/hash.js'
import { registry } from '../models/registry.js'
import { membersOf } from '../config/heads.js'
import { TARGET_HEADS } from '../config/targets.js'
import { targetsConfigSchema } from '../labels/config.js'
import { postProcessorRegistry } from '../inference/post-processors.js'
import { splitsConfigSchema, windowLengthMs } from '../validation/config.js'
import { ENSEMBLE_REGIME } from './stages/regime.js'
import { combinerName, combinerRegistry } from '../ensemble/registry.js'

const SPLIT_DEFAULTS = splitsConfigSchema.parse({})

export function runConfigProblems(config: ResolvedConfig): string[] {
  const problems: string[] = []
  const { splits } = config
  const method = splits.method
  if (method !== 'chronological' && method !== 'walk_forward') {
    problems.push(
      `splits.method: ${method} is not how mlf run evaluates: it trains on one purged chronological split ` +
        '(splits.method: chronological) or refits per walk-forward window (splits.method: walk_forward with ' +
        `evaluation.walk_forward); ${method} folds are reported by mlf splits --method ${method}`,
    )
  }
  // Train rows always precede their val and test rows here, and an embargo only removes training rows that follow
  // an evaluation block; label overlap is purged exactly. An embargo setting would change nothing, so it is refused.
  if (splits.embargoBars !== undefined || splits.embargoFraction !== SPLIT_DEFAULTS.embargoFraction) {
    problems.push(
      'splits.embargoBars / splits.embargoFraction: mlf run trains only on rows before its validation and test rows, ' +
        'so an embargo (which removes training rows after an evaluation block) would remove nothing; label overlap ' +
        'is purged exactly. Remove it; for stacking folds set ensemble.oof.embargo_bars',
    )
  }
  for (const section of ['kfold', 'cpcv', 'walkForward'] as const) {
    if (canonicalJson(splits[section]) !== canonicalJson(SPLIT_DEFAULTS[section]))
      problems.push(
        `splits.${section}: used by mlf splits only; mlf run ` +
          (section === 'walkForward'
            ? 'walks forward with evaluation.walk_forward { train, test, step }'
            : `does not evaluate by ${section}`),
      )
  }
  if (method === 'walk_forward' && canonicalJson(splits.chronological) !== canonicalJson(SPLIT_DEFAULTS.chronological))
    problems.push(
      'splits.chronological: a walk-forward run splits each window itself (evaluation.walk_forward.val); remove it',
    )
  const wf = config.evaluation.walk_forward
  if (method === 'walk_forward' && !wf)
    problems.push('splits.method: walk_forward needs evaluation.walk_forward { train, test, step }')
  if (wf && method !== 'walk_forward')
    problems.push('evaluation.walk_forward: set splits.method: walk_forward to evaluate by walk-forward windows')
  if (wf) {
    const barMs = baseInterval(config).ms
    const test = windowLengthMs(wf.test, barMs)
    const step = wf.step === undefined ? test : windowLengthMs(wf.step, barMs)
    const train = windowLengthMs(wf.train, barMs)
    for (const [name, ms] of [
      ['train', train],
      ['test', test],
      ['step', step],
    ] as const) {
      if (ms % barMs !== 0)
        problems.push(`evaluation.walk_forward.${name}: not a whole number of ${config.data.interval} bars`)
    }
    if (step < test)
      problems.push(
        `evaluation.walk_forward.step (${wf.step}) is shorter than test (${wf.test}): test windows would overlap and ` +
          'bars would be backtested twice',
      )
    if (typeof wf.val !== 'number' || wf.val >= 1) {
      const val = windowLengthMs(wf.val as never, barMs)
      if (wf.mode === 'rolling' && val >= train)
        problems.push(`evaluation.walk_forward.val (${wf.val}) leaves no training rows in a ${wf.train} window`)
    }
  }
  const { inference } = config
  if (inference.fit_on === 'oof' && config.ensemble && !('kind' in config.ensemble))
    problems.push(
      `inference.fit_on: oof with ensemble.method ${config.ensemble.method}: the combiner's own out-of-fold ` +
        'predictions would need nested folds; fit the post-processors on validation (fit_on: validation)',
    )
  problems.push(...targetsProblems(config))
  // Refitting on resamples needs members that are fitted at all.
  for (const u of inference.uncertainty) {
    if (!postProcessorRegistry.get(u.method)?.resampling) continue
    for (const { spec, index } of membersOf(config, 'E_r'))
      if (registry.get(spec.name)?.spec.zeroShot)
        problems.push(
          `inference.uncertainty: ${u.method} refits the E_r head's models on resamples of the training window, but ` +
            `base_models.${index} (${spec.name}) is zero-shot and never fitted; use split or aci on that head`,
        )
  }
  // A combiner whose engine is missing (softmax_gate needs libtorch) is said before any work, with its install hint.
  if (config.ensemble && !('kind' in config.ensemble)) {
    const name = combinerName(config.ensemble)
    const availability = combinerRegistry.get(name)?.available(config.ensemble)
    if (availability && !availability.ok) problems.push(`ensemble: ${name} is unavailable: ${availability.hint}`)
  }
  // The ensemble regime is the combiner's alone: members never see it, and it joins the combiner by itself.
  const hidden = `${ENSEMBLE_REGIME}_`
  for (const [i, m] of config.base_models.entries()) {
    const named = (m.features ?? []).filter((f) => f.startsWith(hidden))
    if (named.length > 0)
      problems.push(
        `base_models.${i}.features: ${named.join(', ')} belong to ensemble.regime, which only the combiner reads; ` +
          'give the members a regime of their own with features.regime_model (columns regime_*)',
      )
  }
  const ensemble = config.ensemble
  if (ensemble && 'regime_features' in ensemble) {
    const named = ensemble.regime_features.filter((f) => f.startsWith(hidden))
    if (named.length > 0)
      problems.push(
        `ensemble.regime_features: ${named.join(', ')} ${ensemble.regime ? 'join the combiner by ensemble.regime itself' : 'exist only with ensemble.regime'}; remove them`,
      )
  }
  // A model file (an imported model, a foundation model's ONNX export) is read when the model is created, so a run
  // would find it missing only after other models have trained. (Not a schema check: a bundle's config names the
  // file it was trained from, which the machine scoring the bundle need not have; the bundle holds its own copy.)
  for (const [i, m] of config.base_models.entries()) {
    const path = m.config.path
    if (typeof path === 'string' && !isFile(path))
      problems.push(
        `base_models.${i}.config.path: ${m.name} reads ${path}, which is not a file (relative paths are from the ` +
          `working directory${registry.get(m.name)?.spec.family === 'foundation' ? '; export the checkpoint as docs/foundation-models.md describes' : ''})`,
      )
  }
  return problems
}

const TARGET_DEFAULTS = targetsConfigSchema.parse({})

/** labels.targets: what the multi-head targets honour, and nothing else. */
function targetsProblems(config: ResolvedConfig): string[] {
  const problems: string[] = []
  const t = config.labels.targets
  const changed = (k: keyof typeof t) => canonicalJson(t[k]) !== canonicalJson(TARGET_DEFAULTS[k])
  if (changed('quantiles'))
    problems.push('labels.targets.quantiles: the quantile head is q05, q50 and q95 (fixed); remove it')
  if (changed('bracketEdges'))
    problems.push(
      'labels.targets.bracketEdges: mlf run trains no bracket outcomes (scripts/bracket-example.mjs builds them, ' +
        'docs/brackets.md); remove it',
    )
  const targetHeads = TARGET_HEADS.filter((h) => membersOf(config, h).length > 0)
  if (targetHeads.length === 0) {
    for (const k of ['horizons', 'tradeableReturn', 'reachThresholds'] as const)
      if (changed(k))
        problems.push(
          `labels.targets.${k}: applies to the multi-head targets (${TARGET_HEADS.join(', ')}), which no base model ` +
            'outputs; E_r and q05/q50/q95 are at labels.tripleBarrier.maxHolding',
        )
  } else {
    for (const k of ['horizons', 'reachThresholds'] as const) {
      const twice = t[k].find((v, i) => t[k].indexOf(v) !== i)
      if (twice !== undefined) problems.push(`labels.targets.${k}: ${twice} is listed twice`)
    }
  }
  return problems
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
