/**
 * The live feature state of one served bundle: the streaming feature engine of its feature config (the same object
 * that batch features replay), fed one bar at a time, and the one-row frame over its current row that scoring reads
 * exactly as it reads a row of a file's frame.
 */
import type { Bar } from '../data/bars.js'
import { baseInterval, originMs } from '../config/schema.js'
import { createFeatureEngine, planFeatures, type FeatureEngine } from '../features/engine.js'
import { featureSchema, type FeatureFrame, type FeatureSchema } from '../features/frame.js'
import type { LoadedBundle } from '../pipeline/bundle.js'
import { assertFeatureSchema } from '../pipeline/scoring.js'

export interface LiveFeatures {
  push(bar: Bar): void
  /** Bars pushed so far. */
  pushed(): number
  /** Whether every feature is past its warm-up: the rows a batch frame marks usable. */
  usable(): boolean
  /** The current row as a frame of one row (a copy: later pushes leave it alone). */
  frame(ts: number): FeatureFrame
  /** The first feature that is not a number at the current row, if any. */
  firstMissing(): string | null
}

/** A fresh engine for the bundle's feature config; refused when its schema is not the one the model was trained on. */
export function createLiveFeatures(bundle: LoadedBundle): LiveFeatures {
  const plan = planFeatures(
    bundle.config.features,
    bundle.manifest.feature_schema.volume_mode,
    originMs(bundle.config),
    baseInterval(bundle.config),
  )
  const schema: FeatureSchema = featureSchema(plan, 1)
  assertFeatureSchema(bundle, schema.hash, schema.names)
  const engine: FeatureEngine = createFeatureEngine(plan)
  const row = engine.row
  const names = engine.names
  return {
    push: (bar) => engine.push(bar),
    pushed: () => engine.pushed(),
    usable: () => engine.usable(),
    frame(ts) {
      const values = Float64Array.from(row)
      return {
        length: 1,
        names,
        columns: names.map((_, j) => values.subarray(j, j + 1)),
        usable: Uint8Array.of(engine.usable() ? 1 : 0),
        ts: Float64Array.of(ts),
        schema,
        volumeMode: plan.volumeMode,
        timeframes: [],
        specs: plan.columns,
      }
    },
    firstMissing() {
      const j = row.findIndex((v) => !Number.isFinite(v))
      return j < 0 ? null : names[j]
    },
  }
}
