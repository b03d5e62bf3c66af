import { createRequire } from 'node:module'
import type { Availability } from '../../models/contract.js'
import { scoringThreads } from '../threads.js'

/**
 * ONNX models through onnxruntime-node, loaded lazily (a missing package makes ONNX models unavailable, never a crash
 * at import). We call the package's synchronous session binding, the very object its public async
 * `InferenceSession.run` wraps in a promise, because the model contract's `predict` is synchronous.
 */

export const ONNX_INSTALL_HINT = 'install onnxruntime-node: npm install onnxruntime-node'

export type OnnxElement = 'float32' | 'float64'

export interface OnnxTensorInfo {
  readonly name: string
  readonly type: string
  /** Dimensions; a symbolic (dynamic) dimension is given by its name. */
  readonly shape: readonly (number | string)[]
}

export interface OnnxOutput {
  readonly data: Float32Array | Float64Array
  readonly dims: readonly number[]
}

export interface OnnxSession {
  readonly inputs: readonly OnnxTensorInfo[]
  readonly outputs: readonly OnnxTensorInfo[]
  run(
    feeds: Readonly<Record<string, { data: Float32Array | Float64Array; dims: readonly number[] }>>,
  ): Record<string, OnnxOutput>
  dispose(): void
}

interface RawMeta {
  name: string
  isTensor: boolean
  symbolicDimensions: string[]
  shape: number[]
  type: number
}
interface RawSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void
  readonly inputMetadata: RawMeta[]
  readonly outputMetadata: RawMeta[]
  run(
    feeds: object,
    fetches: object,
    options: object,
  ): Record<string, { data: unknown; dims: readonly number[]; type: string }>
  dispose(): void
}
interface Ort {
  binding: { InferenceSession: new () => RawSession }
  initOrt: () => void
  Tensor: new (type: string, data: Float32Array | Float64Array, dims: readonly number[]) => object
}

// ONNX TensorProto element types, as the binding reports them.
const ELEMENT: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
}

let cached: { ort: Ort } | { error: string } | undefined

function tryLoad(): { ort: Ort } | { error: string } {
  try {
    const require = createRequire(import.meta.url)
    const b = require('onnxruntime-node/dist/binding.js') as Pick<Ort, 'binding' | 'initOrt'>
    const { Tensor } = require('onnxruntime-node') as Pick<Ort, 'Tensor'>
    if (typeof b.binding?.InferenceSession !== 'function' || typeof b.initOrt !== 'function') {
      return { error: `onnxruntime-node's session binding has an unexpected shape; ${ONNX_INSTALL_HINT}` }
    }
    return { ort: { ...b, Tensor } }
  } catch (err) {
    return {
      error: `onnxruntime-node cannot be loaded (${(err as Error).message.split('\n')[0]}); ${ONNX_INSTALL_HINT}`,
    }
  }
}

export function onnxAvailability(): Availability {
  cached ??= tryLoad()
  return 'ort' in cached ? { ok: true } : { ok: false, hint: cached.error }
}

function ort(): Ort {
  cached ??= tryLoad()
  if ('error' in cached) throw new Error(cached.error)
  return cached.ort
}

function info(m: RawMeta): OnnxTensorInfo {
  return {
    name: m.name,
    type: m.isTensor ? (ELEMENT[m.type] ?? `type${m.type}`) : 'non-tensor',
    shape: m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i] : d)),
  }
}

/** Open an ONNX model from its bytes; `source` names it in errors. Threads default to 1 (deterministic, no oversubscription). */
export function createOnnxSession(bytes: Uint8Array, source: string, threads = 1): OnnxSession {
  const o = ort()
  o.initOrt()
  const s = new o.binding.InferenceSession()
  try {
    s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
      intraOpNumThreads: scoringThreads(threads),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    })
  } catch (err) {
    throw new Error(`${source}: onnxruntime cannot load the model: ${(err as Error).message}`)
  }
  const inputs = s.inputMetadata.map(info)
  const outputs = s.outputMetadata.map(info)
  return {
    inputs,
    outputs,
    run(feeds) {
      const tensors: Record<string, object> = {}
      for (const [name, t] of Object.entries(feeds)) {
        tensors[name] = new o.Tensor(t.data instanceof Float32Array ? 'float32' : 'float64', t.data, t.dims)
      }
      const fetches = Object.fromEntries(outputs.map((x) => [x.name, null]))
      let raw: ReturnType<RawSession['run']>
      try {
        raw = s.run(tensors, fetches, {})
      } catch (err) {
        throw new Error(`${source}: onnxruntime run failed: ${(err as Error).message}`)
      }
      const out: Record<string, OnnxOutput> = {}
      for (const [name, t] of Object.entries(raw)) {
        if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
          throw new Error(
            `${source}: output "${name}" has element type ${t.type}; only float32/float64 outputs are supported`,
          )
        }
        out[name] = { data: t.data, dims: t.dims.map(Number) }
      }
      return out
    },
    dispose: () => s.dispose(),
  }
}
