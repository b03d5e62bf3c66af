import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sliceBars } from '../../src/data/bars.js'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { DEFAULT_LADDER, ONE_MINUTE, parseTimeframe } from '../../src/data/timeframe.js'
import { replay } from '../../src/features/frame.js'
import type { EnginePlan } from '../../src/features/engine.js'
import type { KernelDef } from '../../src/features/indicators/kernel.js'
import { macdDef, rsiDef } from '../../src/features/indicators/momentum.js'
import { returnStatsDef } from '../../src/features/indicators/stats.js'
import { atrDef, bollingerDef } from '../../src/features/indicators/volatility.js'
import { benchLine, median, repoRoot, requireShared, runPythonPeer, timeMedian } from '../lib.js'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The representative subset the pandas peer also computes: RSI, MACD, ATR, Bollinger, rolling mean/std, nine timeframes. */
function subsetPlan(): EnginePlan {
  const defs: KernelDef[] = [rsiDef(14), macdDef(12, 26, 9), atrDef(14), bollingerDef(20, 2), returnStatsDef(30, 2)]
  const columns: EnginePlan['columns'][number][] = []
  const kernels: EnginePlan['kernels'][number][] = []
  for (const name of DEFAULT_LADDER) {
    const timeframe = parseTimeframe(name)
    for (const def of defs) {
      kernels.push({ def, group: 'momentum', timeframe, offset: columns.length })
      for (const out of def.outputs) {
        columns.push({
          name: `${out}_${name}`,
          group: 'momentum',
          timeframe: name,
          kernel: def.id,
          params: def.params,
          warmup: def.warmup,
        })
      }
    }
  }
  return { columns, kernels, interactions: [], volumeMode: 'absent_neutral', originMs: 0, base: ONE_MINUTE }
}

function meanOf(c: Float64Array, from: number): number {
  let s = 0
  let k = 0
  for (let i = from; i < c.length; i++) {
    if (Number.isFinite(c[i])) {
      s += c[i]
      k++
    }
  }
  return s / k
}

export default async function run(): Promise<void> {
  const file = requireShared('data/spxusd_m1_2018_2019_histdata.csv.gz')
  const lenient = dataConfigSchema.parse({ validation: { backward_step: 'drop', duplicate_conflict: 'drop' } })
  const { bars } = await ingestFile(file, lenient)
  process.stdout.write(`SPX 1m bars: ${bars.length}\n`)

  // Subset, ours vs pandas (both exclude file loading; both include resampling and 1m alignment).
  const plan = subsetPlan()
  replay(sliceBars(bars, 0, 20_000), plan) // warm the JIT
  const ours = await timeMedian(5, () => replay(bars, plan))
  const frame = ours.result
  // CPU time as well as wall time: the 2-core machine is shared, and CPU time is less sensitive to other load.
  const cpu: number[] = []
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage()
    replay(bars, plan)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1e6)
  }
  const peer = runPythonPeer(resolve(here, '../../../bench/features/peer.py'), [file, '5']) as {
    seconds: number
    cpu_seconds: number
    features: number
    check: Record<string, number>
  }
  const half = frame.length >> 1
  const col = (n: string) => frame.columns[frame.names.indexOf(n)]
  const pairs: [string, string][] = [
    ['bb_width_1h', 'bb_width_60m'],
    ['ret_std_15m', 'ret_std_15m'],
    ['bb_width_1m', 'bb_width_1m'],
  ]
  const relDiff = Math.max(...pairs.map(([a, b]) => Math.abs(meanOf(col(a), half) / peer.check[b] - 1)))
  process.stdout.write(
    `subset: ours ${ours.seconds.toFixed(3)} s (${frame.names.length} columns), pandas ${peer.seconds.toFixed(3)} s (${peer.features} columns); mean check rel diff ${relDiff.toExponential(2)}\n`,
  )

  // Full default set, in a fresh process for an honest peak-memory figure.
  const child = spawnSync(process.execPath, [resolve(repoRoot, 'dist/bench/features/full.js')], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  if (child.status !== 0) throw new Error(`full-set child failed: ${child.stderr}`)
  const full = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
    seconds: number
    features: number
    outputMiB: number
    peakMiB: number
    rssBeforeMiB: number
  }
  process.stdout.write(
    `full set: ${full.features} features x ${bars.length} rows in ${full.seconds.toFixed(2)} s; peak RSS ${full.peakMiB.toFixed(0)} MiB (bars loaded: ${full.rssBeforeMiB.toFixed(0)} MiB) for a ${full.outputMiB.toFixed(0)} MiB output matrix\n`,
  )
  process.stdout.write(
    `${benchLine('features', ours.seconds, peer.seconds, {
      subset_cols: frame.names.length,
      ours_cpu_s: median(cpu),
      peer_cpu_s: peer.cpu_seconds,
      full_s: full.seconds,
      full_features: full.features,
      peak_mib: Math.round(full.peakMiB),
      output_mib: Math.round(full.outputMiB),
      peak_over_output: full.peakMiB / full.outputMiB,
      check_rel_diff: relDiff,
    })}\n`,
  )
}
