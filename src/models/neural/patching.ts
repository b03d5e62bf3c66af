/**
 * Splitting series into patches and splitting a batch into its resolutions, shared by the patch/token models.
 * Patches are aligned to the END of the window (the last patch ends on the newest step), so the most recent data
 * is always covered whatever the window length.
 */
import { torch, type Tensor } from '../../engines/torch/index.js'
import type { InputLayout, PartLayout } from './data.js'

export interface PatchPlan {
  /** Steps per patch (the requested length, clipped to the series length). */
  readonly len: number
  readonly stride: number
  readonly count: number
  /** Step at which the first patch starts. */
  readonly offset: number
}

export function patchPlan(steps: number, len: number, stride: number): PatchPlan {
  const l = Math.min(len, steps)
  const s = Math.min(stride, l)
  const count = Math.floor((steps - l) / s) + 1
  return { len: l, stride: s, count, offset: steps - l - (count - 1) * s }
}

/** (S, L) series -> (S, count, len) patches. */
export function toPatches(series: Tensor, plan: PatchPlan): Tensor {
  const idx = new BigInt64Array(plan.count * plan.len)
  for (let i = 0; i < plan.count; i++)
    for (let j = 0; j < plan.len; j++) idx[i * plan.len + j] = BigInt(plan.offset + i * plan.stride + j)
  const s = series.shape[0]
  return series.indexSelect(1, torch().tensor(idx, [idx.length], 'int64')).reshape([s, plan.count, plan.len])
}

/** The resolutions of a layout: a window is one part; a multi_res layout lists its parts. */
export function partsOf(layout: InputLayout): readonly PartLayout[] {
  if (layout.parts) return layout.parts
  if (layout.kind !== 'window_tensor') throw new Error(`expects a window_tensor or multi_res input, got ${layout.kind}`)
  return [{ timeframe: 'window', steps: layout.steps, f: layout.f }]
}

/** The batch as one (B, steps, f) tensor per part. */
export function splitParts(x: Tensor, layout: InputLayout): Tensor[] {
  if (!layout.parts) return [x]
  const b = x.shape[0]
  let o = 0
  return layout.parts.map((p) => {
    const w = p.steps * p.f
    const part = x.narrow(1, o, w).reshape([b, p.steps, p.f])
    o += w
    return part
  })
}
