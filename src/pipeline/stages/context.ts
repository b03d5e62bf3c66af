/**
 * What every stage of a run shares: the resolved config, seeds derived by one helper, threads, the log, progress
 * bars and the timing of each stage (wall time and peak resident memory).
 */
import type { ResolvedConfig } from '../../config/load.js'
import { deriveSeed } from '../../core/seeds.js'
import type { ProgressSink } from '../../models/contract.js'
import type { StageTiming } from '../../tracking/types.js'

export type ProgressFactory = (label: string) => ProgressSink & { stop?: () => void }

export interface RunContext {
  readonly config: ResolvedConfig
  readonly threads: number
  readonly log: (line: string) => void
  readonly progress?: ProgressFactory
  readonly timings: StageTiming[]
  /** The seed of a stage, window, fold or model: derived from the run's seed and the path, never picked by hand. */
  seed(...path: readonly (string | number)[]): number
  /** Ends the current stage: records its time and peak memory under `name` and logs it. */
  lap(name: string): void
}

export function createRunContext(
  config: ResolvedConfig,
  opts: { log?: (line: string) => void; progress?: ProgressFactory },
): RunContext {
  const log = opts.log ?? (() => {})
  const timings: StageTiming[] = []
  let mark = performance.now()
  return {
    config,
    threads: config.threads,
    log,
    progress: opts.progress,
    timings,
    seed: (...path) => deriveSeed(config.seed, ...path),
    lap(name) {
      const now = performance.now()
      const seconds = (now - mark) / 1000
      timings.push({ stage: name, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })
      log(`  ${name.padEnd(18)} ${seconds.toFixed(2)} s`)
      mark = now
    },
  }
}

/** Runs `work` under a progress bar labelled `label` (none when the run shows no progress), stopping it after. */
export async function withProgress<T>(
  ctx: RunContext,
  label: string,
  work: (bar: ProgressSink | undefined) => Promise<T>,
): Promise<T> {
  const bar = ctx.progress?.(label)
  try {
    return await work(bar)
  } finally {
    bar?.stop?.()
  }
}
