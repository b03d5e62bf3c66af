import { squaredHingeKernel } from './hinge.js'
import { logisticKernel, type Kernel, type LogisticProblem } from './logloss.js'
import { binaryWasmKernel, softmax3WasmKernel, squaredHingeWasmKernel, type WasmPlace } from './wasm/logistic.js'

/** Which loss kernel to run: plain data, so it can be sent to a worker thread. */
export type KernelSpec =
  { readonly loss: 'logistic'; readonly rows: number } | { readonly loss: 'squared_hinge'; readonly positive: number }

export function kernelRows(spec: KernelSpec): number {
  return spec.loss === 'logistic' ? spec.rows : 1
}

/** Whether a kernel of `spec` has a WebAssembly SIMD version (squared hinge, binary and three-class logistic). */
export function hasWasmKernel(spec: KernelSpec): boolean {
  return spec.loss === 'squared_hinge' || spec.rows === 1 || spec.rows === 3
}

/**
 * The kernel of `spec` over `p`: the WebAssembly SIMD one where there is one (placed in `place` when given, as on
 * worker threads) and the engine runs it, else the JavaScript one.
 */
export function makeKernel(p: LogisticProblem, spec: KernelSpec, place?: WasmPlace): Kernel {
  if (spec.loss === 'squared_hinge') {
    return squaredHingeWasmKernel(p, spec.positive, place) ?? squaredHingeKernel(p, spec.positive)
  }
  const wasm = spec.rows === 3 ? softmax3WasmKernel(p, place) : spec.rows === 1 ? binaryWasmKernel(p, place) : undefined
  return wasm ?? logisticKernel(p, spec.rows)
}

/** The problem restricted to rows [start, end) (views, no copies). */
export function rowRange(p: LogisticProblem, start: number, end: number): LogisticProblem {
  return {
    ...p,
    x: p.x.subarray(start * p.f, end * p.f),
    n: end - start,
    labels: p.labels.subarray(start, end),
    weights: p.weights.subarray(start, end),
  }
}
