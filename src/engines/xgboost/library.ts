import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Availability } from '../../models/contract.js'
import { prepareNativeRuntime } from '../native-runtime.js'

/**
 * Lazy koffi binding to XGBoost's C API (Debian libxgboost-dev). Nothing is loaded at import time, so a machine
 * without the library can still import the project; models report `available() = { ok: false, hint }` instead.
 */

export const XGBOOST_INSTALL_HINT = 'install XGBoost: sudo apt-get install libxgboost-dev'

/** Opaque handle (DMatrix or Booster) as koffi represents pointers: a bigint address. */
export type Handle = bigint

// koffi types the bound functions loosely; each wrapper in this folder narrows them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any

export interface XgbLib {
  readonly path: string
  readonly version: string
  readonly koffi: typeof import('koffi')
  readonly lastError: () => string
  readonly dmatrixFromMat: Fn
  readonly dmatrixSetFloatInfo: Fn
  readonly dmatrixNumRow: Fn
  readonly dmatrixNumCol: Fn
  readonly dmatrixFree: Fn
  readonly dmatrixSlice: Fn
  readonly boosterCreate: Fn
  readonly boosterFree: Fn
  readonly boosterSetParam: Fn
  readonly boosterUpdateOneIter: Fn
  readonly boosterEvalOneIter: Fn
  readonly boosterPredictFromDMatrix: Fn
  readonly boosterSaveModelToBuffer: Fn
  readonly boosterLoadModelFromBuffer: Fn
  readonly boosterSaveJsonConfig: Fn
  readonly boosterFeatureScore: Fn
  readonly boosterBoostedRounds: Fn
  readonly boosterSlice: Fn
  readonly boosterGetNumFeature: Fn
  readonly boosterSetAttr: Fn
  readonly boosterGetAttr: Fn
}

const CANDIDATES = [
  process.env.MLF_XGBOOST_LIB,
  '/usr/lib/x86_64-linux-gnu/libxgboost.so',
  '/usr/lib/aarch64-linux-gnu/libxgboost.so',
  '/usr/lib/libxgboost.so',
  '/usr/local/lib/libxgboost.so',
  '/usr/lib/x86_64-linux-gnu/libxgboost.so.0',
  '/usr/lib/aarch64-linux-gnu/libxgboost.so.0',
]

let cached: { lib: XgbLib } | { error: string } | undefined

function locate(): string[] {
  const found = CANDIDATES.filter((p): p is string => !!p && existsSync(p))
  // Last resort: let the dynamic loader search its own paths by bare name.
  return [...found, 'libxgboost.so', 'libxgboost.so.0']
}

function bind(path: string, koffi: typeof import('koffi')): XgbLib {
  prepareNativeRuntime()
  const so = koffi.load(path)
  const H = 'XGHandle'
  if (!bindTypes.done) {
    koffi.pointer(H, koffi.opaque())
    bindTypes.done = true
  }
  const f = (sig: string): Fn => so.func(sig) as Fn
  const version = f('void XGBoostVersion(_Out_ int *major, _Out_ int *minor, _Out_ int *patch)')
  const [ma, mi, pa] = [[0], [0], [0]]
  version(ma, mi, pa)
  const lastErrorRaw = f('const char *XGBGetLastError()')
  return {
    path,
    version: `${ma[0]}.${mi[0]}.${pa[0]}`,
    koffi,
    lastError: () => xgboostMessage(String(lastErrorRaw() ?? '')),
    dmatrixFromMat: f(
      `int XGDMatrixCreateFromMat_omp(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ ${H} *out, int nthread)`,
    ),
    dmatrixSetFloatInfo: f(`int XGDMatrixSetFloatInfo(${H} h, const char *field, const float *a, uint64_t len)`),
    dmatrixSlice: f(`int XGDMatrixSliceDMatrix(${H} h, const int *idxset, uint64_t len, _Out_ ${H} *out)`),
    dmatrixNumRow: f(`int XGDMatrixNumRow(${H} h, _Out_ uint64_t *out)`),
    dmatrixNumCol: f(`int XGDMatrixNumCol(${H} h, _Out_ uint64_t *out)`),
    dmatrixFree: f(`int XGDMatrixFree(${H} h)`),
    boosterCreate: f(`int XGBoosterCreate(${H} *dmats, uint64_t len, _Out_ ${H} *out)`),
    boosterFree: f(`int XGBoosterFree(${H} h)`),
    boosterSetParam: f(`int XGBoosterSetParam(${H} h, const char *name, const char *value)`),
    boosterUpdateOneIter: f(`int XGBoosterUpdateOneIter(${H} h, int iter, ${H} dtrain)`),
    boosterEvalOneIter: f(
      `int XGBoosterEvalOneIter(${H} h, int iter, ${H} *dmats, const char **names, uint64_t len, _Out_ const char **out)`,
    ),
    boosterPredictFromDMatrix: f(
      `int XGBoosterPredictFromDMatrix(${H} h, ${H} d, const char *cfg, _Out_ void **shape, _Out_ uint64_t *dim, _Out_ void **out)`,
    ),
    boosterSaveModelToBuffer: f(
      `int XGBoosterSaveModelToBuffer(${H} h, const char *cfg, _Out_ uint64_t *len, _Out_ void **out)`,
    ),
    boosterLoadModelFromBuffer: f(`int XGBoosterLoadModelFromBuffer(${H} h, const uint8_t *buf, uint64_t len)`),
    boosterSaveJsonConfig: f(`int XGBoosterSaveJsonConfig(${H} h, _Out_ uint64_t *len, _Out_ void **out)`),
    boosterFeatureScore: f(
      `int XGBoosterFeatureScore(${H} h, const char *cfg, _Out_ uint64_t *nf, _Out_ void **names, _Out_ uint64_t *dim, _Out_ void **shape, _Out_ void **scores)`,
    ),
    boosterBoostedRounds: f(`int XGBoosterBoostedRounds(${H} h, _Out_ int *out)`),
    boosterSlice: f(`int XGBoosterSlice(${H} h, int begin, int end, int step, _Out_ ${H} *out)`),
    boosterGetNumFeature: f(`int XGBoosterGetNumFeature(${H} h, _Out_ uint64_t *out)`),
    boosterSetAttr: f(`int XGBoosterSetAttr(${H} h, const char *key, const char *value)`),
    boosterGetAttr: f(`int XGBoosterGetAttr(${H} h, const char *key, _Out_ const char **out, _Out_ int *success)`),
  }
}
const bindTypes = { done: false }

function tryLoad(): { lib: XgbLib } | { error: string } {
  let koffi: typeof import('koffi')
  try {
    // createRequire keeps the native addon out of the import graph until XGBoost is first needed.
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi')
  } catch (err) {
    return { error: `koffi is not installed (npm install koffi): ${(err as Error).message}` }
  }
  const errors: string[] = []
  for (const path of locate()) {
    try {
      return { lib: bind(path, koffi) }
    } catch (err) {
      errors.push(`${path}: ${(err as Error).message}`)
    }
  }
  return { error: `libxgboost not found (${errors.slice(0, 3).join('; ')}); ${XGBOOST_INSTALL_HINT}` }
}

/** XGBoost's version where this process has loaded it, else null (never loads it). */
export function loadedXgboostVersion(): string | null {
  return cached && 'lib' in cached ? cached.lib.version : null
}

export function xgboostAvailability(): Availability {
  cached ??= tryLoad()
  return 'lib' in cached ? { ok: true } : { ok: false, hint: cached.error }
}

/** The bound library; throws with the install hint when it cannot be loaded. */
export function xgb(): XgbLib {
  cached ??= tryLoad()
  if ('error' in cached) throw new Error(cached.error)
  return cached.lib
}

/**
 * XGBGetLastError's text as one line for users. dmlc prefixes "[hh:mm:ss] src/file.cc:123: ", may add an indented
 * excerpt of the input (JSON errors) and a native "Stack trace:"; those go. Lines that explain the message (a
 * parameter's description, "Objective candidate: x" per choice) stay, joined with "; " and candidates as one list.
 */
export function xgboostMessage(raw: string): string {
  const lines = raw.split(/\r?\n/)
  const trace = lines.findIndex((l) => l.startsWith('Stack trace:'))
  const kept = (trace < 0 ? lines : lines.slice(0, trace)).filter((l) => l.trim() !== '' && !/^\s/.test(l))
  if (kept.length === 0) return 'unknown XGBoost error'
  kept[0] = kept[0].replace(/^\[\d{2}:\d{2}:\d{2}\]\s+/, '').replace(/^\S+\.(?:cc|cu|h|cuh|cpp):\d+:\s*/, '')
  const candidates = new Map<string, string[]>()
  const rest: string[] = []
  for (const line of kept) {
    const m = /^(\w+) candidate: (.*)$/.exec(line)
    if (m) candidates.set(m[1], [...(candidates.get(m[1]) ?? []), m[2].trim()])
    else rest.push(line.trim())
  }
  for (const [what, values] of candidates) rest.push(`${what} candidates: ${values.join(', ')}`)
  return rest.join('; ')
}

/** Turn a non-zero XGBoost return code into an exception carrying XGBGetLastError's message. */
export function check(rc: number, what: string): void {
  if (rc !== 0) throw new Error(`XGBoost ${what} failed: ${xgb().lastError()}`)
}
