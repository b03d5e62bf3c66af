import cliProgress from 'cli-progress'
import type { ProgressSink } from '../models/contract.js'
import type { StageTiming } from '../tracking/types.js'

/**
 * Terminal feedback for long stages. Progress bars are drawn only for a person watching: on a TTY and outside CI.
 * Anywhere else (pipes, log files, CI) they write nothing at all, so logs and `--json` output stay clean.
 */

/** The part of a writable stream used here; tests pass a fake with `isTTY: true`. */
export interface OutputStream {
  write(chunk: string): boolean
  isTTY?: boolean
  columns?: number
}

export interface ProgressOptions {
  /** Default: process.stderr. */
  stream?: OutputStream
  /** Default: process.env (only CI is read). */
  env?: Readonly<Record<string, string | undefined>>
  /** false turns the bar off whatever the terminal (e.g. --json, --quiet). */
  enabled?: boolean
}

export interface Progress extends ProgressSink {
  /** Whether a bar is drawn at all. */
  readonly active: boolean
  /** Finish the bar (idempotent). Call it in `finally`: a running bar redraws on a timer that keeps Node alive. */
  stop(): void
}

/** A bar is shown only on an interactive terminal outside CI. */
export function progressEnabled(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env.CI
  return stream.isTTY === true && (ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false')
}

function formatInfo(info: Record<string, number | string> | undefined): string {
  if (!info) return ''
  return Object.entries(info)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(4))) : v}`)
    .join(' ')
}

const SILENT: Progress = { active: false, update() {}, stop() {} }

export function createProgress(label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr
  if (opts.enabled === false || !progressEnabled(stream, opts.env ?? process.env)) return SILENT

  const bar = new cliProgress.SingleBar({
    stream: stream as NodeJS.WritableStream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted} {info}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: false,
    gracefulExit: false,
  })
  let state: 'idle' | 'running' | 'done' = 'idle'
  return {
    active: true,
    update(done, total, info) {
      if (state === 'done') return
      const payload = { info: formatInfo(info) }
      if (state === 'idle') {
        state = 'running'
        bar.start(total, done, payload)
      } else {
        if (bar.getTotal() !== total) bar.setTotal(total)
        bar.update(done, payload)
      }
      if (done >= total) {
        bar.stop() // final frame and newline; later updates are ignored
        state = 'done'
      }
    },
    stop() {
      if (state === 'running') bar.stop()
      state = 'done'
    },
  }
}

export interface StageLoggerOptions {
  /** No output (e.g. --json); timings are still collected. */
  quiet?: boolean
  stream?: OutputStream
}

export interface StageLogger {
  /** Run `fn` as a named stage: a line at start and at end (with seconds and peak RSS); its timing is kept. */
  run<T>(name: string, fn: () => T | Promise<T>): Promise<T>
  /** Completed stages in order, in the shape of RunRecord.timings. */
  readonly timings: readonly StageTiming[]
}

/** Peak resident set size of this process so far, in MiB (maxRSS is reported in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}

export function createStageLogger(opts: StageLoggerOptions = {}): StageLogger {
  const stream = opts.stream ?? process.stderr
  const log = (line: string) => {
    if (!opts.quiet) stream.write(`${line}\n`)
  }
  const timings: StageTiming[] = []
  return {
    timings,
    async run(name, fn) {
      log(`[mlf] ${name} ...`)
      const t0 = performance.now()
      try {
        const result = await fn()
        const timing = { stage: name, seconds: (performance.now() - t0) / 1000, peakRssMiB: peakRssMiB() }
        timings.push(timing)
        log(`[mlf] ${name} done in ${timing.seconds.toFixed(2)} s (peak RSS ${timing.peakRssMiB.toFixed(0)} MiB)`)
        return result
      } catch (err) {
        log(`[mlf] ${name} failed after ${((performance.now() - t0) / 1000).toFixed(2)} s`)
        throw err
      }
    },
  }
}
