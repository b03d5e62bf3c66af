import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { loadBundle, scoreWithBundle, scoredPredictionsCsv } from '../pipeline/bundle.js'
import {
  assertExplainable,
  EXPLAIN_METHODS,
  explainPath,
  permutationCsv,
  shapExplanationsCsv,
  type ExplainMethod,
} from '../pipeline/explain.js'

/** `--explain [method]` (shap when given bare) and `--top N`, checked before anything is loaded. */
export function explainOptions(
  explain: string | boolean | undefined,
  top: string,
): { method: ExplainMethod; top: number } | null {
  if (explain === undefined || explain === false) return null
  const method = explain === true ? 'shap' : explain
  if (!EXPLAIN_METHODS.includes(method as ExplainMethod))
    throw new Error(`--explain ${method}: expected one of ${EXPLAIN_METHODS.join(', ')}`)
  const n = Number(top)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--top ${top}: expected a whole number of features, at least 1`)
  return { method: method as ExplainMethod, top: n }
}

export function register(program: Command): void {
  program
    .command('predict')
    .description('score a bars file with a bundle alone (features recomputed through the bundle pipeline)')
    .requiredOption('--bundle <dir>', 'bundle directory (runs/<run-id>/bundle)')
    .requiredOption('--data <file>', 'bars file')
    .requiredOption('--out <file>', 'predictions CSV')
    .option('--checksum <sha256>', "refuse the bundle unless its checksum is this one (the run's bundle_checksum)")
    .option(
      '--explain [method]',
      'also explain: shap (default; per prediction, in <out>.explain.csv; XGBoost models only) or permutation ' +
        "(importance on the file's labelled rows, in <out>.importance.csv)",
    )
    .option('--top <n>', 'features per prediction with --explain shap', '5')
    .action(
      async (opts: {
        bundle: string
        data: string
        out: string
        checksum?: string
        explain?: string | boolean
        top: string
      }) => {
        const explain = explainOptions(opts.explain, opts.top)
        const bundle = await loadBundle(opts.bundle, opts.checksum)
        if (explain) assertExplainable(bundle, explain.method)
        const scored = await scoreWithBundle(bundle, opts.data)
        // Explanations are computed before anything is written, so a refusal leaves no partial output.
        const side = explain
          ? explain.method === 'shap'
            ? {
                csv: shapExplanationsCsv(bundle, scored, explain.top),
                note: `top ${explain.top} SHAP values per prediction`,
              }
            : (() => {
                const p = permutationCsv(bundle, scored)
                return {
                  csv: p.csv,
                  note: `permutation importance on ${p.rows} labelled rows (log-loss ${p.baseline.toFixed(4)} unshuffled)`,
                }
              })()
          : null
        await writeFileAtomic(opts.out, scoredPredictionsCsv(scored))
        process.stdout.write(
          `  ${scored.rows.length} predictions -> ${opts.out} (bundle ${bundle.checksum.slice(0, 12)}…)\n`,
        )
        if (explain && side) {
          const path = explainPath(opts.out, explain.method)
          await writeFileAtomic(path, side.csv)
          process.stdout.write(`  ${side.note} -> ${path}\n`)
        }
      },
    )
}
