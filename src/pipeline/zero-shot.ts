/**
 * Zero-shot members (the foundation models) are used as exported and never fitted, so nothing in a run would open
 * them before the first forecast, after the other models have trained. This checks each one before any work: the
 * model is created for every head it is a member of and forecasts one synthetic context of views.foundation_context
 * bars, which opens its ONNX export, checks the graph's signature, the horizon against the exported one and the
 * context length against a graph with a fixed one. Errors name the base model's config.
 */
import { headsOf, headTask } from '../config/heads.js'
import type { FactoryConfig } from '../config/schema.js'
import type { FoundationView } from '../features/views/types.js'
import { createModel, registry } from '../models/registry.js'

const HEAD_NAMES: Partial<Record<string, string>> = { quantiles: 'q05/q50/q95' }

/** A positive, gently moving OHLC series of `context` bars, ending at its last row: one sample. */
function probeView(context: number): FoundationView {
  const base = new Float64Array(context * 4)
  for (let t = 0; t < context; t++) {
    const close = 100 * (1 + 0.001 * Math.sin(t / 7) + 0.0001 * t)
    base.set([close, close * 1.0002, close * 0.9998, close], t * 4)
  }
  return { kind: 'foundation', n: 1, context, base, end: Int32Array.of(context - 1) }
}

/** Check every zero-shot member as described above; returns a line per member and head saying it is not fitted. */
export function checkZeroShotMembers(config: FactoryConfig): string[] {
  const lines: string[] = []
  for (const [i, m] of config.base_models.entries()) {
    const spec = registry.get(m.name)?.spec
    if (!spec?.zeroShot) continue
    for (const head of headsOf(m.outputs)) {
      const where = `base_models.${i}.config`
      const model = createModel(m.name, m.config, headTask(head), where)
      if (spec.inputView === 'foundation') {
        try {
          model.predict(probeView(config.views.foundation_context))
        } catch (err) {
          throw new Error(
            `${where}: ${m.name} failed its check on one synthetic context of ${config.views.foundation_context} ` +
              `bars (views.foundation_context), before any work: ${(err as Error).message}`,
          )
        }
      }
      lines.push(`${m.name} (${HEAD_NAMES[head] ?? head} head): zero-shot, used as exported and not fitted`)
    }
  }
  return lines
}
