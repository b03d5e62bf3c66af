import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

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
