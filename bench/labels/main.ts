/**
 * `npm run bench -- labels`: triple barrier over the 618,735 SPX 1m bars, 60-bar vertical barrier, k = 2 ATR(14),
 * entry at the next open, against a vectorized numpy implementation of the same rules (Debian python3). Both sides
 * label the same cleaned bars and volatility (written to a temp file), and the barrier counts must agree.
 */
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { BARRIER_LOWER, BARRIER_UPPER, BARRIER_VERTICAL, tripleBarrier } from '../../src/labels/triple-barrier.js'
import { atr } from '../../src/labels/volatility.js'
import { benchLine, repoRoot, requireShared, runPythonPeer, timeMedian, peakRssMiB } from '../lib.js'

const HORIZON = 60
const REPEATS = 5

export default async function run(): Promise<void> {
  const file = requireShared('data/spxusd_m1_2018_2019_histdata.csv.gz')
  // The vendor file repeats one hour (2019-10-28 00:xx): drop the repeated rows, as the data README suggests.
  const { bars } = await ingestFile(file, dataConfigSchema.parse({ validation: { backward_step: 'drop' } }))
  const vol = atr(bars, 14)
  const cfg = { kUp: 2, kDown: 2, maxHolding: HORIZON, entry: 'next_open' as const }
  tripleBarrier(bars, vol, cfg) // warm up the JIT
  const ours = await timeMedian(REPEATS, () => tripleBarrier(bars, vol, cfg))
  const l = ours.result
  const counts = [BARRIER_UPPER, BARRIER_LOWER, BARRIER_VERTICAL].map((b) => l.barrier.filter((x) => x === b).length)
  let checksum = 0
  let t1sum = 0
  for (let i = 0; i < l.n; i++) {
    if (!Number.isNaN(l.ret[i])) checksum += l.ret[i]
    if (l.t1Index[i] >= 0) t1sum += l.t1Index[i]
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'mlf-bench-labels-'))
  try {
    const bin = path.join(dir, 'cols.f64')
    const n = bars.length
    const all = new Float64Array(5 * n)
    ;[bars.open, bars.high, bars.low, bars.close, vol].forEach((c, i) => all.set(c, i * n))
    writeFileSync(bin, new Uint8Array(all.buffer))
    const peer = runPythonPeer(path.join(repoRoot, 'bench/labels/triple_barrier_peer.py'), [
      bin,
      String(n),
      String(HORIZON),
      String(REPEATS),
    ])
    const peerCounts = peer.counts as number[]
    const agree = peerCounts.every((c, i) => c === counts[i]) && peer.t1sum === t1sum
    const relDiff = Math.abs((peer.checksum as number) - checksum) / Math.max(1e-12, Math.abs(checksum))
    process.stdout.write(
      `ours counts upper/lower/vertical=${counts.join('/')} peer=${peerCounts.join('/')} t1sum ours=${t1sum} peer=${peer.t1sum} ret-sum rel diff=${relDiff.toExponential(2)}\n`,
    )
    if (!agree) throw new Error('peer and ours disagree on the labels: the comparison would be meaningless')
    process.stdout.write(
      benchLine('labels', ours.seconds, peer.seconds as number, {
        bars: n,
        horizon: HORIZON,
        parity: 'ok',
        peak_rss_mib: Math.round(peakRssMiB()),
      }) + '\n',
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
