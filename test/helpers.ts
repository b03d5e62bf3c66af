import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateRawSync, gzipSync } from 'node:zlib'
import { seededRandom } from '../src/core/random.js'
import type { Bars } from '../src/data/bars.js'

/** Repository root (tests compile to dist/test/..., data lives at the root). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const sharedDir = resolve(repoRoot, '..', 'shared')
export const SAMPLE = join(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
export const SPX = join(sharedDir, 'data/spxusd_m1_2018_2019_histdata.csv.gz')

/** The path of a file in ../shared, or null (the caller skips with this message) when it is absent. */
export function sharedFile(rel: string): string | null {
  const p = join(sharedDir, rel)
  return existsSync(p) ? p : null
}
export const SHARED_MISSING = `../shared is absent (${sharedDir}); this test needs the shared data and is skipped`

export function tempDir(prefix = 'mlf-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Write `text` to a fresh temp file (gzipped when the name ends in .gz) and return its path. */
export function tempFile(name: string, text: string | Buffer): string {
  const path = join(tempDir(), name)
  const data = typeof text === 'string' ? Buffer.from(text) : text
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(data) : data)
  return path
}

export interface ZipFixtureEntry {
  readonly name: string
  readonly data: Buffer | string
  /** Deflate (default) or store the data. */
  readonly store?: boolean
  /** Set the "encrypted" flag (the data is not really encrypted: enough to test refusal). */
  readonly encrypted?: boolean
  /** Override the compression method number (e.g. 12, bzip2) to test refusal. */
  readonly method?: number
}

/** A ZIP archive built in memory (local headers, central directory, end record), for tests of the ZIP reader. */
export function zipArchive(entries: readonly ZipFixtureEntry[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const raw = Buffer.from(entry.data)
    const body = entry.store ? raw : deflateRawSync(raw)
    const name = Buffer.from(entry.name)
    const method = entry.method ?? (entry.store ? 0 : 8)
    const flags = (entry.encrypted ? 1 : 0) | 0x800
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(crc32(raw), 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(raw.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(flags, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(crc32(raw), 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(raw.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    centrals.push(central, name)
    offset += local.length + name.length + body.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** A seeded standard normal stream (an LCG through Box-Muller): the same seed always gives the same values. */
/** A seeded uniform stream on [0, 1) (mulberry32): the same seed always gives the same numbers. */
export const uniform = seededRandom

export function gauss(seed: number): () => number {
  let s = seed >>> 0
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s + 0.5) / 4294967296
  }
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())
}

/** One-minute bars from 2024-01-01 whose open is the close (high and low 1% around it), volume 1. */
export function closeBars(close: readonly number[]): Bars {
  const n = close.length
  return {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: Float64Array.from(close),
    high: Float64Array.from(close, (c) => c * 1.01),
    low: Float64Array.from(close, (c) => c * 0.99),
    close: Float64Array.from(close),
    volume: Float64Array.from(close, () => 1),
  }
}
