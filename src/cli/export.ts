import type { Command } from 'commander'
import { dirname, join } from 'node:path'
import { exportMlflow } from '../tracking/mlflow.js'
import { resolveRunId } from '../tracking/query.js'
import { openRunStore } from '../tracking/store.js'
import { DEFAULT_STORE } from './runs.js'

export function register(program: Command): void {
  const exp = program.command('export').description('write runs in formats other tools read')
  exp
    .command('mlflow')
    .description(
      'a run as an MLflow file-store run (params, metrics, tags, artifacts): mlflow ui --backend-store-uri <dir>',
    )
    .argument('<run>', 'run id (or a prefix that names one run)')
    .requiredOption('--to <dir>', 'MLflow file store (an mlruns folder; created if absent)')
    .option('--store <file>', 'run store', DEFAULT_STORE)
    .option('--experiment <name>', 'MLflow experiment (found by name in the store, else created)', 'mlfactory')
    .option('--run-dir <dir>', "the run's folder, copied into the artifacts (default: <store folder>/<run id>)")
    .action((text: string, opts: { to: string; store: string; experiment: string; runDir?: string }) => {
      const store = openRunStore(opts.store, { readonly: true })
      try {
        const run = store.get(resolveRunId(store.db, text))!
        const e = exportMlflow(run, {
          dir: opts.to,
          experiment: opts.experiment,
          runFolder: opts.runDir ?? join(dirname(opts.store), run.runId),
        })
        process.stdout.write(
          `exported ${run.runId} to ${e.runDir}: ${e.params} params, ${e.metrics} metrics, ${e.artifacts} artifact files\n` +
            `  open it with: mlflow ui --backend-store-uri ${opts.to}\n`,
        )
      } finally {
        store.close()
      }
    })
}
