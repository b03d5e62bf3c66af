import { check, xgb, type Handle } from './library.js'
import type { DMatrix } from './dmatrix.js'

/** XGBoost booster parameters as the C API takes them (strings), set in insertion order. */
export type BoosterParams = Readonly<Record<string, string | number | boolean>>

export interface Booster {
  readonly handle: Handle
  setParams(params: BoosterParams): void
  updateOneIter(iter: number, dtrain: DMatrix): void
  /** XGBoost's evaluation line, e.g. `[3]\tval-logloss:0.41`. */
  evalOneIter(iter: number, sets: readonly { name: string; dm: DMatrix }[]): string
  predict(dm: DMatrix, options?: PredictOptions): Prediction
  boostedRounds(): number
  numFeatures(): number
  /** A new booster holding rounds [begin, end). */
  slice(begin: number, end: number): Booster
  save(format: 'ubj' | 'json'): Uint8Array
  /** The learner configuration (objective, num_class, ...), as XGBoost's JSON config. */
  config(): Record<string, unknown>
  featureScore(type: ImportanceType, nFeatures: number): Float64Array
  setAttr(key: string, value: string | null): void
  getAttr(key: string): string | undefined
  free(): void
}

export type PredictKind = 'value' | 'margin' | 'contribs' | 'leaf'
const PREDICT_TYPE: Record<PredictKind, number> = { value: 0, margin: 1, contribs: 2, leaf: 6 }

export interface PredictOptions {
  readonly kind?: PredictKind
  /** Use rounds [begin, end); end 0 means all. */
  readonly iterationBegin?: number
  readonly iterationEnd?: number
}

/** Float32 values as XGBoost computed them, with their shape (strict_shape: true). */
export interface Prediction {
  readonly values: Float32Array
  readonly shape: readonly number[]
}

export type ImportanceType = 'gain' | 'weight' | 'cover' | 'total_gain' | 'total_cover'

const live = new FinalizationRegistry<Handle>((h) => {
  // Safety net only: boosters are freed explicitly where their owner knows their lifetime.
  xgb().boosterFree(h)
})

export function createBooster(cache: readonly DMatrix[] = []): Booster {
  const lib = xgb()
  const out: [Handle | null] = [null]
  const handles = cache.map((d) => d.handle)
  check(lib.boosterCreate(handles.length ? handles : null, handles.length, out), 'XGBoosterCreate')
  return wrap(out[0] as Handle)
}

/** Load a model saved as UBJ, JSON (or XGBoost's legacy binary format) from bytes. */
export function loadBooster(bytes: Uint8Array, what = 'model'): Booster {
  const b = createBooster()
  const rc = xgb().boosterLoadModelFromBuffer(b.handle, bytes, bytes.length)
  if (rc !== 0) {
    const msg = xgb().lastError()
    b.free()
    throw new Error(`XGBoost could not load ${what}: ${msg}`)
  }
  return b
}

function wrap(handle: Handle): Booster {
  const lib = xgb()
  const { koffi } = lib
  let freed = false
  const token = {}
  live.register(token, handle, token)
  const alive = (): Handle => {
    if (freed) throw new Error('XGBoost booster used after free()')
    return handle
  }
  const booster: Booster = {
    handle,
    setParams(params) {
      for (const [k, v] of Object.entries(params)) {
        check(lib.boosterSetParam(alive(), k, String(v)), `XGBoosterSetParam(${k}=${v})`)
      }
    },
    updateOneIter(iter, dtrain) {
      check(lib.boosterUpdateOneIter(alive(), iter, dtrain.handle), `XGBoosterUpdateOneIter(${iter})`)
    },
    evalOneIter(iter, sets) {
      const out: [string | null] = [null]
      check(
        lib.boosterEvalOneIter(
          alive(),
          iter,
          sets.map((s) => s.dm.handle),
          sets.map((s) => s.name),
          sets.length,
          out,
        ),
        'XGBoosterEvalOneIter',
      )
      return String(out[0])
    },
    predict(dm, options = {}) {
      const cfg = JSON.stringify({
        type: PREDICT_TYPE[options.kind ?? 'value'],
        training: false,
        iteration_begin: options.iterationBegin ?? 0,
        iteration_end: options.iterationEnd ?? 0,
        strict_shape: true,
      })
      const shapePtr: [unknown] = [null]
      const dim: [number | bigint] = [0]
      const valuesPtr: [unknown] = [null]
      check(lib.boosterPredictFromDMatrix(alive(), dm.handle, cfg, shapePtr, dim, valuesPtr), 'XGBoosterPredict')
      const shape = Array.from(koffi.decode(shapePtr[0], 'uint64_t', Number(dim[0])) as BigUint64Array, Number)
      const size = shape.reduce((a, b) => a * b, 1)
      // The buffer belongs to the booster and is overwritten by its next call: copy it out (one copy).
      const values = size ? new Float32Array(koffi.view(valuesPtr[0], size * 4).slice(0)) : new Float32Array(0)
      return { values, shape }
    },
    boostedRounds() {
      const out = [0]
      check(lib.boosterBoostedRounds(alive(), out), 'XGBoosterBoostedRounds')
      return out[0]
    },
    numFeatures() {
      const out: [number | bigint] = [0]
      check(lib.boosterGetNumFeature(alive(), out), 'XGBoosterGetNumFeature')
      return Number(out[0])
    },
    slice(begin, end) {
      const out: [Handle | null] = [null]
      check(lib.boosterSlice(alive(), begin, end, 1, out), `XGBoosterSlice(${begin}, ${end})`)
      return wrap(out[0] as Handle)
    },
    save(format) {
      const len: [number | bigint] = [0]
      const ptr: [unknown] = [null]
      check(lib.boosterSaveModelToBuffer(alive(), JSON.stringify({ format }), len, ptr), 'XGBoosterSaveModelToBuffer')
      return new Uint8Array(koffi.view(ptr[0], Number(len[0]))).slice()
    },
    config() {
      const len: [number | bigint] = [0]
      const ptr: [unknown] = [null]
      check(lib.boosterSaveJsonConfig(alive(), len, ptr), 'XGBoosterSaveJsonConfig')
      const text = Buffer.from(koffi.view(ptr[0], Number(len[0]))).toString('utf8')
      return JSON.parse(text) as Record<string, unknown>
    },
    featureScore(type, nFeatures) {
      // Name features f0..f{n-1} explicitly so scores map back to columns (features never split on are omitted).
      const names = Array.from({ length: nFeatures }, (_, i) => `f${i}`)
      const cfg = JSON.stringify({ importance_type: type, feature_names: names })
      const nf: [number | bigint] = [0]
      const namesPtr: [unknown] = [null]
      const dim: [number | bigint] = [0]
      const shapePtr: [unknown] = [null]
      const scoresPtr: [unknown] = [null]
      check(lib.boosterFeatureScore(alive(), cfg, nf, namesPtr, dim, shapePtr, scoresPtr), 'XGBoosterFeatureScore')
      const n = Number(nf[0])
      const out = new Float64Array(nFeatures)
      if (n === 0) return out
      const shape = Array.from(koffi.decode(shapePtr[0], 'uint64_t', Number(dim[0])) as BigUint64Array, Number)
      const size = shape.reduce((a, b) => a * b, 1)
      const scores = koffi.decode(scoresPtr[0], 'float', size) as Float32Array
      const got = koffi.decode(namesPtr[0], 'const char *', n) as string[]
      const perFeature = size / n // multi-output models return (n, classes) for gblinear; trees give one score
      for (let i = 0; i < n; i++) {
        const col = Number(got[i].slice(1))
        for (let k = 0; k < perFeature; k++) out[col] += scores[i * perFeature + k]
      }
      return out
    },
    setAttr(key, value) {
      check(lib.boosterSetAttr(alive(), key, value), `XGBoosterSetAttr(${key})`)
    },
    getAttr(key) {
      const out: [string | null] = [null]
      const ok = [0]
      check(lib.boosterGetAttr(alive(), key, out, ok), `XGBoosterGetAttr(${key})`)
      return ok[0] ? String(out[0]) : undefined
    },
    free() {
      if (freed) return
      freed = true
      live.unregister(token)
      check(lib.boosterFree(handle), 'XGBoosterFree')
    },
  }
  return booster
}
