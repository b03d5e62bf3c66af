import { join } from 'node:path'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { resampleLadder } from '../../src/data/resample.js'
import { DEFAULT_LADDER, parseLadder } from '../../src/data/timeframe.js'
import { benchLine, peakRssMiB, repoRoot, requireShared, runPythonPeer, timeMedian } from '../lib.js'

/** Load + validate + resample the SPX file to the full ladder, against pandas read_csv + resample. */
export default async function run(): Promise<void> {
  const file = requireShared('data/spxusd_m1_2018_2019_histdata.csv.gz')
  const repeats = 5
  const options = dataConfigSchema.parse({ validation: { backward_step: 'repair' } })
  const ladder = parseLadder([...DEFAULT_LADDER])
  const ours = await timeMedian(repeats, async () => {
    const { bars } = await ingestFile(file, options)
    return { rows: bars.length, h1: resampleLadder(bars, ladder).at(-1)!.length }
  })
  const peak = peakRssMiB()
  const peer = runPythonPeer(join(repoRoot, 'bench/ingest/peer.py'), [file, String(repeats)])
  const peerSeconds = Number(peer.seconds)
  process.stdout.write(
    `ours: ${ours.result.rows} rows, ${ours.result.h1} 1h bars; pandas: ${String(peer.rows)} rows, ${String(peer.bars_1h)} 1h bars\n`,
  )
  process.stdout.write(
    `${benchLine('ingest', ours.seconds, peerSeconds, { rows: ours.result.rows, peak_rss_mib: Math.round(peak), repeats })}\n`,
  )
}
