/**
 * The prediction cache: every answer the server computes for a bar, kept once in a bounded ring per model (the
 * served models by name, and `chain` for the answers given), readable by time over HTTP and by in-process readers.
 */
import type { RowOutputs } from './chain.js'

export interface CachedPrediction {
  /** The bar's open time (epoch ms); the prediction is made at its close. */
  readonly ts: number
  /** The link that produced the outputs (a served model's name, or neutral). */
  readonly source: string
  readonly neutral: boolean
  /** Checksum of the bundle that produced it (absent for neutral answers). */
  readonly bundle?: string
  readonly outputs: Readonly<RowOutputs>
}

export interface PredictionCache {
  readonly capacity: number
  add(model: string, entry: CachedPrediction): void
  /** Entries of `model` with ts >= since, oldest first; undefined for a model with no ring. */
  since(model: string, since: number): CachedPrediction[] | undefined
  models(): string[]
}

interface Ring {
  readonly items: (CachedPrediction | undefined)[]
  /** Index the next entry goes to. */
  next: number
  size: number
}

export function createPredictionCache(capacity: number, models: readonly string[]): PredictionCache {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new Error(`prediction cache: capacity ${capacity} must be >= 1`)
  const rings = new Map<string, Ring>()
  const ring = (model: string): Ring => {
    let r = rings.get(model)
    if (!r) {
      r = { items: new Array<CachedPrediction | undefined>(capacity), next: 0, size: 0 }
      rings.set(model, r)
    }
    return r
  }
  for (const m of models) ring(m)
  return {
    capacity,
    add(model, entry) {
      const r = ring(model)
      r.items[r.next] = Object.freeze({ ...entry, outputs: Object.freeze({ ...entry.outputs }) })
      r.next = (r.next + 1) % capacity
      r.size = Math.min(capacity, r.size + 1)
    },
    since(model, since) {
      const r = rings.get(model)
      if (!r) return undefined
      const out: CachedPrediction[] = []
      const first = (r.next - r.size + capacity) % capacity
      for (let k = 0; k < r.size; k++) {
        const e = r.items[(first + k) % capacity] as CachedPrediction
        if (e.ts >= since) out.push(e)
      }
      return out
    },
    models: () => [...rings.keys()],
  }
}
