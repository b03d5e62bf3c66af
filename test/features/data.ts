import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Bars } from '../../src/data/bars.js'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'

/** Repository root (tests compile to dist/test/features/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const sharedDir = resolve(repoRoot, '../shared')
export const SPX_FILE = resolve(sharedDir, 'data/spxusd_m1_2018_2019_histdata.csv.gz')
export const FIL_FILE = resolve(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')

// The SPX file repeats one hour (a backward step in time): drop the repeated rows so time is strictly increasing.
const lenient = dataConfigSchema.parse({ validation: { backward_step: 'drop', duplicate_conflict: 'drop' } })

const cache = new Map<string, Promise<Bars>>()

/** Bars of a real dataset, or null when the file is absent (callers skip with a message). */
export async function loadBars(file: string): Promise<Bars | null> {
  if (!existsSync(file)) return null
  let p = cache.get(file)
  if (!p) {
    p = ingestFile(file, lenient).then((r) => r.bars)
    cache.set(file, p)
  }
  return p
}
