import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { allocBars, type Bars } from '../../src/data/bars.js'
import { seededRandom } from '../../src/core/random.js'

/** Repository root (tests compile to dist/test/labels/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const sharedDir = path.resolve(repoRoot, '../shared')
export const sampleFile = path.resolve(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')

export function sharedFile(name: string): string | null {
  const p = path.resolve(sharedDir, 'data', name)
  return existsSync(p) ? p : null
}

/** Bars from [open, high, low, close] rows, one minute apart starting at 2024-01-01. */
export function barsFrom(rows: readonly (readonly [number, number, number, number])[]): Bars {
  const b = allocBars(rows.length)
  const t0 = Date.UTC(2024, 0, 1)
  rows.forEach(([o, h, l, c], i) => {
    b.ts[i] = t0 + i * 60_000
    b.open[i] = o
    b.high[i] = Math.max(o, h, l, c)
    b.low[i] = Math.min(o, h, l, c)
    b.close[i] = c
    b.volume[i] = 1
  })
  return b
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  return seededRandom(seed)
}

/** A random walk with occasional gaps between one bar's close and the next open. */
export function randomBars(n: number, seed: number, gapProb = 0.05): Bars {
  const r = rng(seed)
  const rows: [number, number, number, number][] = []
  let prev = 100
  for (let i = 0; i < n; i++) {
    const o = r() < gapProb ? prev * (1 + (r() - 0.5) * 0.02) : prev
    const c = o * (1 + (r() - 0.5) * 0.004)
    const h = Math.max(o, c) * (1 + r() * 0.002)
    const l = Math.min(o, c) * (1 - r() * 0.002)
    rows.push([o, h, l, c])
    prev = c
  }
  return barsFrom(rows)
}

export function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v)
}
