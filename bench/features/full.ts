/**
 * Child process of bench/features: the full default feature set on the SPX bars, in a fresh process so that its
 * peak resident memory is the feature computation's own (plus the loaded bars). Prints one JSON line.
 */
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { parseFeaturesConfig } from '../../src/features/config.js'
import { computeFeatures } from '../../src/features/frame.js'
import { peakRssMiB, requireShared } from '../lib.js'

const lenient = dataConfigSchema.parse({ validation: { backward_step: 'drop', duplicate_conflict: 'drop' } })
const { bars } = await ingestFile(requireShared('data/spxusd_m1_2018_2019_histdata.csv.gz'), lenient)
const rssBefore = process.memoryUsage().rss / 2 ** 20
const peakBefore = peakRssMiB()
const t0 = process.hrtime.bigint()
const frame = computeFeatures(bars, parseFeaturesConfig({}))
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
const outputMiB = (frame.length * frame.names.length * 8) / 2 ** 20
process.stdout.write(
  `${JSON.stringify({ seconds, rows: frame.length, features: frame.names.length, outputMiB, peakMiB: peakRssMiB(), peakBeforeMiB: peakBefore, rssBeforeMiB: rssBefore })}\n`,
)
