import type { Bar } from '../../data/bars.js'

/**
 * An incremental indicator: `update` consumes one closed bar and writes `outputs.length` values at `out[at...]`.
 * The same object serves batch (history replayed) and live (one bar at a time), so both agree bit for bit.
 */
export interface Kernel {
  update(bar: Bar, out: Float64Array, at: number): void
}

export type ParamValue = number | string | boolean

/** What a kernel is: its outputs, its warm-up and its parameters; `create` builds a fresh state machine. */
export interface KernelDef {
  readonly id: string
  readonly outputs: readonly string[]
  /** The 1-based update from which outputs are valid; the engine writes NaN before it (never zero-fills). */
  readonly warmup: number
  readonly params: Readonly<Record<string, ParamValue>>
  readonly create: () => Kernel
}

export function kernelDef(
  id: string,
  outputs: readonly string[],
  warmup: number,
  params: Record<string, ParamValue>,
  create: () => Kernel,
): KernelDef {
  return Object.freeze({
    id,
    outputs: Object.freeze([...outputs]),
    warmup,
    params: Object.freeze({ ...params }),
    create,
  })
}
