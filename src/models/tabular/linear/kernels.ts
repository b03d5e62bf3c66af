import { squaredHingeKernel } from './hinge.js'
import { logisticKernel, type Kernel, type LogisticProblem } from './logloss.js'

/** Which loss kernel to run: plain data, so it can be sent to a worker thread. */
export type KernelSpec =
  { readonly loss: 'logistic'; readonly rows: number } | { readonly loss: 'squared_hinge'; readonly positive: number }

export function kernelRows(spec: KernelSpec): number {
  return spec.loss === 'logistic' ? spec.rows : 1
}

export function makeKernel(p: LogisticProblem, spec: KernelSpec): Kernel {
  return spec.loss === 'logistic' ? logisticKernel(p, spec.rows) : squaredHingeKernel(p, spec.positive)
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
