import cliProgress from 'cli-progress'
import type { ProgressSink } from '../models/contract.js'
import type { StageTiming } from '../tracking/types.js'

/**
 * Feedback for long stages, on stderr only (stdout stays the command's output, pure JSON with `--json`):
 * - on an interactive terminal, a progress bar;
 * - when stderr is piped or redirected (`| tee`, a log file, a job runner), one status line at most every 30 s
 *   (label, done/total in the unit the stage reports, elapsed, ETA), even between two reports of a slow stage, and
 *   a line when the stage ends;
 * - in CI (env CI set and not false/0), nothing, as before;
 * - nothing at all when disabled (`--quiet`).
 */

/** The part of a writable stream used here; tests pass a fake with `isTTY: true`. */
export interface OutputStream {
  write(chunk: string): boolean
  isTTY?: boolean
  columns?: number
}

/** A repeating timer; the default is an unref'd setInterval, so it never keeps the process alive. */
export type Every = (ms: number, fn: () => void) => { stop(): void }

export interface ProgressOptions {
  /** Default: process.stderr. */
  stream?: OutputStream
  /** Default: process.env (only CI is read). */
  env?: Readonly<Record<string, string | undefined>>
  /** false turns progress off whatever the stream (e.g. --quiet). */
  enabled?: boolean
  /** Status lines (not on a terminal): at most one per this many ms. Default 30 000. */
  intervalMs?: number
  /** Milliseconds clock for status lines; default performance.now. Tests pass a fake. */
  now?: () => number
  /** The timer that writes a status line while a stage reports nothing new; tests pass a fake. */
  every?: Every
}

/** How progress shows on a stream: a bar, periodic status lines, or not at all. */
export type ProgressMode = 'bar' | 'lines' | 'off'

function inCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env.CI
  return !(ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false')
}

/** A bar on an interactive terminal, status lines when piped or redirected, nothing in CI. */
export function progressMode(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): ProgressMode {
  if (inCi(env)) return 'off'
  return stream.isTTY === true ? 'bar' : 'lines'
}

/** Whether a bar is drawn: on an interactive terminal outside CI. */
export function progressEnabled(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  return progressMode(stream, env) === 'bar'
}

/** The info key a stage may use to name its unit of work (`epoch`, `round`, `fold`); it is not shown as a value. */
export const UNIT_KEY = 'unit'

function formatInfo(info: Record<string, number | string> | undefined): string {
  if (!info) return ''
  return Object.entries(info)
    .filter(([k]) => k !== UNIT_KEY)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(4))) : v}`)
    .join(' ')
}

/** A duration for a person: `45s`, `2m10s`, `1h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

const defaultEvery: Every = (ms, fn) => {
  const t = setInterval(fn, ms)
  t.unref()
  return { stop: () => clearInterval(t) }
}

export interface Progress extends ProgressSink {
  /** Whether anything is written at all (a bar or status lines). */
  readonly active: boolean
  /** Finish the bar or the status lines (idempotent). Call it in `finally`: a running bar redraws on a timer. */
  stop(): void
}

const SILENT: Progress = { active: false, update() {}, stop() {} }

export function createProgress(label: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr
  const mode = opts.enabled === false ? 'off' : progressMode(stream, opts.env ?? process.env)
  if (mode === 'off') return SILENT
  if (mode === 'lines') return createStatusLines(label, stream, opts)

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

/**
 * Status lines for a stream that is not a terminal: `[mlf] fit patchtst: epoch 3/10, elapsed 2m10s, eta 4m20s,
 * valLoss=0.91`, at most one per interval (a timer repeats the last state while the stage reports nothing new), and
 * `[mlf] fit patchtst: done, 10 epochs in 6m30s` when it ends.
 */
function createStatusLines(label: string, stream: OutputStream, opts: ProgressOptions): Progress {
  const interval = opts.intervalMs ?? 30_000
  const now = opts.now ?? (() => performance.now())
  const t0 = now()
  let last = t0
  let state: { done: number; total: number; info?: Record<string, number | string> } | null = null
  let finished = false

  const unitOf = (n: number) => {
    const u = state?.info?.[UNIT_KEY]
    return typeof u === 'string' ? `${u}${n === 1 ? '' : 's'}` : ''
  }
  const status = (t: number): string => {
    const elapsed = t - t0
    if (!state) return `[mlf] ${label}: running, elapsed ${formatDuration(elapsed)}`
    const { done, total, info } = state
    const unit = info?.[UNIT_KEY]
    const eta = done > 0 && done < total ? `, eta ${formatDuration((elapsed / done) * (total - done))}` : ''
    const extra = formatInfo(info)
    return (
      `[mlf] ${label}: ${typeof unit === 'string' ? `${unit} ` : ''}${done}/${total}, ` +
      `elapsed ${formatDuration(elapsed)}${eta}${extra ? `, ${extra}` : ''}`
    )
  }
  const print = (t: number) => {
    last = t
    stream.write(`${status(t)}\n`)
  }
  const timer = (opts.every ?? defaultEvery)(interval, () => {
    const t = now()
    if (!finished && t - last >= interval) print(t)
  })
  const finish = () => {
    if (finished) return
    finished = true
    timer.stop()
    const took = formatDuration(now() - t0)
    const work = state ? ` ${state.done}${unitOf(state.done) ? ` ${unitOf(state.done)}` : `/${state.total}`}` : ''
    stream.write(`[mlf] ${label}: done${work && `,${work}`} in ${took}\n`)
  }
  return {
    active: true,
    update(done, total, info) {
      if (finished) return
      state = { done, total, ...(info ? { info } : {}) }
      const t = now()
      if (done >= total) finish()
      else if (t - last >= interval) print(t)
    },
    stop: finish,
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
