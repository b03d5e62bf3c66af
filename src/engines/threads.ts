import { availableParallelism } from 'node:os'

/** Cores this process may use (os.availableParallelism(): honours CPU affinity and cgroup limits). */
export function machineCores(): number {
  return availableParallelism()
}

/** Why `threads` cannot be asked of an engine on this machine (null when it can). */
export function threadsProblem(threads: number): string | null {
  const cores = machineCores()
  if (!Number.isInteger(threads) || threads < 1) return `threads must be a positive integer, got ${threads}`
  if (threads > cores) {
    return `threads ${threads} is more than this machine's ${cores} core(s) (os.availableParallelism()); use at most ${cores}`
  }
  return null
}

/**
 * The thread count a fit asks of a native pool (XGBoost nthread, libtorch, worker threads). Refused above the
 * machine's cores: results can depend on the count, so it is never changed silently, and native pools crash on
 * absurd counts (threads: 100000 was a segmentation fault).
 */
export function fitThreads(threads: number, who: string): number {
  const problem = threadsProblem(threads)
  if (problem) throw new Error(`${who}: ${problem}`)
  return threads
}

/**
 * Threads for scoring, where the count does not change results: a bundle made on a larger machine still loads
 * and scores here, on at most this machine's cores.
 */
export function scoringThreads(threads: number): number {
  return Math.min(Math.max(1, Math.floor(threads) || 1), machineCores())
}
