import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FeatureMatrixView } from '../../../src/features/views/types.js'
import type { Dataset, FitContext } from '../../../src/models/contract.js'
import { seededRandom } from '../../../src/core/random.js'

/** Repository root (tests compile to dist/test/..., fixtures live in test/...). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
export const sklearnFixtures = resolve(repoRoot, 'test', 'fixtures', 'sklearn')

export interface FitCase {
  readonly labels?: 'y2' | 'y3'
  readonly C?: number
  readonly class_weight?: 'none' | 'balanced'
  readonly l1_ratio?: number
  readonly alpha?: number
  readonly objective?: number
  readonly log_loss?: number
  readonly proba?: number[]
  readonly theta?: number[]
  readonly var?: number[]
  readonly coef?: number[]
  readonly intercept?: number
  readonly prediction?: number[]
}

export interface FitData {
  readonly n: number
  readonly f: number
  readonly x: number[]
  readonly y2: number[]
  readonly y3: number[]
  readonly yr: number[]
  readonly cases: Record<string, FitCase>
}

/** The dataset and scikit-learn's results written by test/fixtures/sklearn/make_fixtures.py. */
export function loadFitData(): FitData {
  return JSON.parse(readFileSync(resolve(sklearnFixtures, 'fit_data.json'), 'utf8')) as FitData
}

export function matrix(data: ArrayLike<number>, n: number, f: number): FeatureMatrixView {
  return {
    kind: 'feature_matrix',
    n,
    f,
    data: Float64Array.from(data),
    names: Array.from({ length: f }, (_, j) => `f${j}`),
  }
}

export const ctx: FitContext = { seed: 7, threads: 1 }

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  return seededRandom(seed)
}

export function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
}

/**
 * Planted-signal classification data: class = argmax of a linear score plus noise. The coefficients come from
 * `signalSeed` (shared by train and test sets), the rows from `seed`.
 */
export function plantedClasses(n: number, f: number, classes: number, seed: number, signalSeed = 99): Dataset {
  const gb = gaussian(rng(signalSeed))
  const beta = Array.from({ length: f * classes }, () => gb())
  const g = gaussian(rng(seed))
  const x = new Float64Array(n * f)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = g()
    let best = -Infinity
    for (let k = 0; k < classes; k++) {
      let s = 0.5 * g()
      for (let j = 0; j < f; j++) s += beta[j * classes + k] * x[i * f + j]
      if (s > best) {
        best = s
        y[i] = k
      }
    }
  }
  return { x: matrix(x, n, f), y }
}

/** Mean negative log-likelihood of labels under row-major (n, K) probabilities. */
export function logLoss(p: Float64Array, y: ArrayLike<number>, classes: number): number {
  let s = 0
  for (let i = 0; i < y.length; i++) s -= Math.log(p[i * classes + y[i]])
  return s / y.length
}

export function accuracy(p: Float64Array, y: ArrayLike<number>, classes: number): number {
  let hits = 0
  for (let i = 0; i < y.length; i++) {
    let best = 0
    for (let k = 1; k < classes; k++) if (p[i * classes + k] > p[i * classes + best]) best = k
    if (best === y[i]) hits++
  }
  return hits / y.length
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}
