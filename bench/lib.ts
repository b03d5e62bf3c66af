import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { nativeRuntime } from '../src/engines/native-runtime.js'

/** Repository root (bench files compile to dist/bench/..., sources live in bench/...). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const sharedDir = resolve(repoRoot, '..', 'shared')

/**
 * Debian's system python3, where python3-pandas/sklearn/xgboost/torch live; the python3 first on PATH may be
 * another interpreter without them.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3'

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Runs both sides `repeats` times in alternating order (ours, peer, peer, ours, ...), so drift in the speed of this
 * shared machine lands on both sides alike.
 */
export async function alternate(
  repeats: number,
  ours: () => Promise<void> | void,
  peer: () => Promise<void> | void,
): Promise<void> {
  for (let r = 0; r < repeats; r++) {
    if (r % 2 === 0) {
      await ours()
      await peer()
    } else {
      await peer()
      await ours()
    }
  }
}

/** Run `fn` `repeats` times and return the median wall time in seconds and the last result. */
export async function timeMedian<T>(
  repeats: number,
  fn: () => T | Promise<T>,
): Promise<{ seconds: number; result: T }> {
  const times: number[] = []
  let result: T | undefined
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint()
    result = await fn()
    times.push(Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return { seconds: median(times), result: result as T }
}

/**
 * Runs a peer script with Debian's python3 and returns its last stdout line as JSON (at least `{"seconds": <median>}`).
 * The peer gets the environment this process started with, so it runs with its libraries' own defaults; with
 * `ourRuntime` it runs on the native runtime our engines set up (src/engines/native-runtime.ts): the same OpenBLAS
 * build, preloaded, and the same variables (OpenMP spin, OpenBLAS kernels).
 */
export function runPythonPeer(
  script: string,
  args: readonly string[] = [],
  ourRuntime = false,
): Record<string, unknown> {
  if (!existsSync(SYSTEM_PYTHON)) throw new Error(`peer needs ${SYSTEM_PYTHON} (Debian's python3)`)
  const rt = nativeRuntime()
  const env = { ...process.env }
  for (const k of Object.keys(rt?.env ?? {})) delete env[k]
  if (ourRuntime && rt) {
    Object.assign(env, rt.env)
    if (rt.preloaded.length > 0) env.LD_PRELOAD = rt.preloaded.join(':')
  }
  const r = spawnSync(SYSTEM_PYTHON, [script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env })
  if (r.status !== 0) {
    throw new Error(`peer ${script} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`)
  }
  const lines = r.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
}

/** Whether our engines run on another native runtime than a plain process gets (src/engines/native-runtime.ts). */
export function ourRuntimeDiffers(): boolean {
  const rt = nativeRuntime()
  return !!rt && (rt.preloaded.length > 0 || Object.keys(rt.env).length > 0)
}

/** The native runtime as key=values for a BENCH line. */
export function runtimeFigures(): Record<string, string> {
  const rt = nativeRuntime()
  return {
    blas: rt?.blas ?? 'none',
    blas_core: rt?.blasCore ?? 'none',
    openblas_coretype: process.env.OPENBLAS_CORETYPE ?? 'default',
    gomp_spincount: process.env.GOMP_SPINCOUNT ?? 'default',
  }
}

export function requireShared(file: string): string {
  const p = resolve(sharedDir, file)
  if (!existsSync(p)) throw new Error(`benchmark needs ${p} (the shared data folder beside the repository)`)
  return p
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}

/** The one line every benchmark ends with: `BENCH <name> ratio=<ours/peer> ours_s=<s> peer_s=<s> [k=v ...]`. */
export function benchLine(
  name: string,
  ours: number,
  peer: number,
  extra: Record<string, string | number> = {},
): string {
  const kv = Object.entries(extra).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
  return [`BENCH ${name}`, `ratio=${fmt(ours / peer)}`, `ours_s=${fmt(ours)}`, `peer_s=${fmt(peer)}`, ...kv].join(' ')
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4)
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mlf-bench-'))
}
