import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { ingestFile } from '../../src/data/ingest.js'
import { resolveConfig, type ResolvedConfig } from '../../src/config/load.js'
import { SAMPLE, tempDir } from '../helpers.js'
import { loadBundle, scoreWithBundle, scoredPredictionsCsv } from '../../src/pipeline/bundle.js'

/** `rows` bars of the sample from bar `start` (default the first) as a gzipped CSV (optionally without volume). */
export async function sampleSlice(rows: number, withVolume = true, start = 0): Promise<string> {
  const { bars } = await ingestFile(SAMPLE)
  const lines = [withVolume ? 'ts_utc,open,high,low,close,volume' : 'ts_utc,open,high,low,close']
  for (let i = start; i < start + rows; i++) {
    const base = `${new Date(bars.ts[i]).toISOString()},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]}`
    lines.push(withVolume ? `${base},${bars.volume[i]}` : base)
  }
  const path = join(tempDir(), `slice-${start}${withVolume ? '' : '-novol'}.csv.gz`)
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}

/** The features of smallConfig: a few groups on two or three timeframes. */
export const SMALL_FEATURES = {
  momentum: { timeframes: ['1m', '15m'] },
  volatility: { timeframes: ['1m', '15m'] },
  volume: { timeframes: ['1m'] },
  regime: { timeframes: ['1m'] },
  stats: { timeframes: ['1m', '5m'] },
  interactions: { list: [] },
} as const

/**
 * A small, fast config as written (before validation): two timeframes of features, a shallow XGBoost. Its
 * calibrators stay in the chain as configured (inference.drop_worsening: false, unless `over` sets it), so that
 * tests of their mechanics see them; test/pipeline/acceptance.test.ts tests dropping them.
 */
export function smallConfigInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  const inference = { drop_worsening: false, ...(over.inference as Record<string, unknown> | undefined) }
  return {
    seed: 7,
    threads: 1,
    timeframes: ['1m', '5m', '15m'],
    features: SMALL_FEATURES,
    labels: { tripleBarrier: { maxHolding: 30, costBps: 5 } },
    base_models: [
      { name: 'xgboost', config: { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 } },
    ],
    ...over,
    inference,
  }
}

/** A small, fast config: two timeframes of features, a shallow XGBoost, temperature scaling. */
export function smallConfig(over: Record<string, unknown> = {}): ResolvedConfig {
  return resolveConfig(smallConfigInput(over))
}

/**
 * Score `data` from the run's bundle alone (through its checksum) and check that every test prediction the run wrote
 * (from time `from` on: a walk-forward bundle is the last window's) is reproduced string for string, the header
 * too; returns how many were compared.
 */
export async function assertBundleReproducesRun(
  run: { readonly bundleDir: string; readonly runDir: string; readonly bundleChecksum: string },
  data: string,
  from = -Infinity,
): Promise<number> {
  const scored = await scoreWithBundle(await loadBundle(run.bundleDir, run.bundleChecksum), data)
  const lines = scoredPredictionsCsv(scored).trim().split('\n')
  const byTs = new Map(lines.slice(1).map((l) => [l.split(',')[0], l]))
  const runLines = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
  assert.equal(lines[0], runLines[0], 'the same columns')
  const compared = runLines.slice(1).filter((l) => Date.parse(l.split(',')[0]) >= from)
  for (const line of compared) assert.equal(byTs.get(line.split(',')[0]), line)
  return compared.length
}

/**
 * The slice with every bar from `fromTs` on mirrored about the close before it (open, close, high and low reflected,
 * high and low swapped): the path after `fromTs` runs the other way, so the test window's up and down labels trade
 * places, while every bar before it (all that train and validation labels may reach: the split purges validation
 * labels that meet the test window) is byte for byte the same.
 */
export function poisonedFrom(file: string, fromTs: string): string {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n')
  const cut = lines.findIndex((l, i) => i > 0 && l.split(',')[0] >= fromTs)
  assert.ok(cut > 1, 'the test window starts inside the slice')
  const pivot = 2 * Number(lines[cut - 1].split(',')[4])
  for (let i = cut; i < lines.length; i++) {
    const [ts, open, high, low, close, volume] = lines[i].split(',')
    const m = (v: string) => String(pivot - Number(v))
    lines[i] = [ts, m(open), m(low), m(high), m(close), volume].join(',')
  }
  const path = join(tempDir(), 'poisoned.csv.gz')
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}
