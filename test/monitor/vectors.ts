import { readFileSync } from 'node:fs'
import { buildReference, type DriftReference, type ReferenceColumn } from '../../src/monitor/reference.js'
import { binCounts, quantileBins, smoothedProportions } from '../../src/monitor/bins.js'
import assert from 'node:assert/strict'
import type { DriftCheckpoint } from '../../src/monitor/batch.js'
import type { DriftStatus } from '../../src/monitor/monitor.js'
import { join } from 'node:path'
import { repoRoot } from '../helpers.js'

/** One case of test/fixtures/drift/drift_vectors.json (numpy and scipy values; make_drift_fixtures.py). */
export interface DriftCase {
  readonly name: string
  readonly bins: number
  readonly alpha: number
  readonly reference: Float64Array
  readonly window: Float64Array
  readonly lo: number
  readonly hi: number
  readonly edges: number[]
  readonly counts_reference: number[]
  readonly counts_window: number[]
  readonly psi: number
  readonly kl: number
  readonly wasserstein_raw: number
  readonly quantiles: number[]
  readonly wasserstein_ref: number
  readonly std: number
}

const nanOf = (xs: (number | null)[]) => Float64Array.from(xs, (x) => (x === null ? NaN : x))

export function driftCases(): DriftCase[] {
  const raw = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/drift/drift_vectors.json'), 'utf8')) as {
    cases: (Omit<DriftCase, 'reference' | 'window'> & { reference: (number | null)[]; window: (number | null)[] })[]
  }
  return raw.cases.map((c) => ({ ...c, reference: nanOf(c.reference), window: nanOf(c.window) }))
}

/** |a - b| within `rel` of the larger magnitude (or of 1 near zero). */
export function close(a: number, b: number, rel = 1e-12): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b))
}

export const finiteSorted = (x: Float64Array) => x.filter((v) => !Number.isNaN(v)).sort()

/** A reference whose features and outputs span the same rows (`from`, `to`: epoch ms; default 0). */
export function referenceOf(input: {
  readonly interval: string
  readonly bins: number
  readonly from?: number
  readonly to?: number
  readonly features: readonly ReferenceColumn[]
  readonly outputs: readonly ReferenceColumn[]
}): DriftReference {
  const span = { from: input.from ?? 0, to: input.to ?? 0 }
  return buildReference({
    interval: input.interval,
    bins: input.bins,
    features: { ...span, columns: input.features },
    outputs: { ...span, columns: input.outputs },
  })
}

/** A fixture case's smoothed reference (p) and window (q) proportions over the reference's quantile bins. */
export function proportionsOf(c: DriftCase): { p: Float64Array; q: Float64Array } {
  const b = quantileBins(finiteSorted(c.reference), c.bins)
  return {
    p: smoothedProportions(binCounts(b, c.reference), c.alpha),
    q: smoothedProportions(binCounts(b, c.window), c.alpha),
  }
}

/** A batch report's status at a row equals the live monitor's status there, value for value. */
export function assertSameStatus(checkpoint: DriftCheckpoint, status: DriftStatus): void {
  assert.equal(checkpoint.ts, status.lastTs)
  assert.equal(checkpoint.state, status.state)
  for (const key of ['psi', 'kl', 'wasserstein'] as const)
    assert.deepEqual(
      checkpoint[key],
      status.columns.map((c) => c[key]),
      key,
    )
}
