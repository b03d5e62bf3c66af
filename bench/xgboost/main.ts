/**
 * bench/xgboost: XGBoost training through our koffi binding against python3-xgboost (same libxgboost build family),
 * on identical data: 200k x 50 synthetic binary (5% missing), 200 rounds, depth 6, hist, at nthread 2 and 1.
 * Both sides time DMatrix construction + training (no evaluation sets), repeats alternating between the two;
 * predictions must be identical (max abs diff reported).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createDMatrix, trainBooster, withDMatrix, xgb, type Booster } from '../../src/engines/xgboost/index.js'
import { benchLine, median, SYSTEM_PYTHON } from '../lib.js'

const N = Number(process.env.BENCH_XGB_ROWS ?? 200_000)
const F = 50
const ROUNDS = 200
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5)
/** Thread counts to compare, e.g. BENCH_XGB_THREADS=1 (default: 2 and 1). */
const THREADS = (process.env.BENCH_XGB_THREADS ?? '2,1').split(',').map(Number)

/** Deterministic data: label from a nonlinear function of 5 features plus noise; 5% of values missing. */
function syntheticData(seed: number): { x: Float32Array; y: Float32Array } {
  let s = seed >>> 0
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  const x = new Float32Array(N * F)
  const y = new Float32Array(N)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < F; j++) x[i * F + j] = normal()
    const r = i * F
    const z = x[r] * x[r + 1] + Math.sin(2 * x[r + 2]) - 0.5 * x[r + 3] + (x[r + 4] > 0.5 ? 1 : 0) + 0.7 * normal()
    y[i] = z > 0.3 ? 1 : 0
    for (let j = 0; j < F; j++) if (uniform() < 0.05) x[r + j] = NaN
  }
  return { x, y }
}

function params(nthread: number) {
  return {
    objective: 'binary:logistic',
    tree_method: 'hist',
    max_depth: 6,
    eta: 0.1,
    max_bin: 256,
    seed: 7,
    nthread,
    verbosity: 0,
  }
}

/** The Python peer as a long-lived process answering one JSON line per command (see peer.py). */
function startPeer(
  script: string,
  args: readonly string[],
): {
  ask(cmd: string): Promise<Record<string, unknown>>
  close(): Promise<void>
} {
  const child = spawn(SYSTEM_PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  const exited = new Promise<number | null>((res) => child.on('close', res))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    async ask(cmd) {
      child.stdin.write(cmd + '\n')
      const next = await lines.next()
      if (next.done)
        throw new Error(`peer ${script} exited (${await exited}): ${stderr.trim().split('\n').slice(-5).join('\n')}`)
      return JSON.parse(next.value) as Record<string, unknown>
    },
    async close() {
      child.stdin.end('quit\n')
      await exited
    },
  }
}

export default async function run(): Promise<void> {
  const { x, y } = syntheticData(42)
  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-xgb-'))
  const script = fileURLToPath(new URL('../../../bench/xgboost/peer.py', import.meta.url))
  try {
    await writeFile(join(dir, 'x.f32'), x)
    await writeFile(join(dir, 'y.f32'), y)
    const peer = startPeer(script, [join(dir, 'x.f32'), join(dir, 'y.f32'), String(N), String(F), String(ROUNDS)])
    try {
      const results: {
        nthread: number
        ours_s: number
        peer_s: number
        ratio: number
        cpu_ratio: number
        ours_cpu_s: number
        peer_cpu_s: number
        max_abs_diff: number
        version: string
      }[] = []
      for (const nthread of THREADS) {
        // Timed on both sides: DMatrix construction + training; freeing and prediction happen outside the clock.
        // Repeats alternate (ours, peer, peer, ours, ...) so load from other processes on this shared machine
        // lands on both sides alike; medians are reported, wall and CPU time.
        let booster: Booster | undefined
        const ours = { wall: [] as number[], cpu: [] as number[] }
        const theirs = { wall: [] as number[], cpu: [] as number[] }
        let version = ''
        const runOurs = (): void => {
          booster?.free()
          booster = undefined
          const c0 = process.cpuUsage()
          const t0 = process.hrtime.bigint()
          const dm = createDMatrix({ data: x, rows: N, cols: F, label: y, nthread })
          booster = trainBooster({ params: params(nthread), rounds: ROUNDS, train: dm }).booster
          ours.wall.push(Number(process.hrtime.bigint() - t0) / 1e9)
          const c = process.cpuUsage(c0)
          ours.cpu.push((c.user + c.system) / 1e6)
          dm.free()
        }
        const runPeer = async (): Promise<void> => {
          const r = await peer.ask(`train ${nthread}`)
          theirs.wall.push(Number(r.seconds))
          theirs.cpu.push(Number(r.cpu_seconds))
          version = String(r.version)
        }
        for (let i = 0; i < REPEATS; i++) {
          if (i % 2 === 0) {
            runOurs()
            await runPeer()
          } else {
            await runPeer()
            runOurs()
          }
        }
        const secs = (xs: number[]): string => xs.map((v) => v.toFixed(2)).join(',')
        console.log(`xgboost nthread=${nthread} wall ours=[${secs(ours.wall)}] peer=[${secs(theirs.wall)}]`)
        console.log(`xgboost nthread=${nthread} cpu  ours=[${secs(ours.cpu)}] peer=[${secs(theirs.cpu)}]`)
        const trained = booster!
        const preds = withDMatrix({ data: x, rows: N, cols: F, nthread }, (dm) => trained.predict(dm).values)
        trained.free()
        const predPath = join(dir, `peer-${nthread}.f32`)
        await peer.ask(`predict ${predPath}`)
        const peerPreds = new Float32Array((await readFile(predPath)).buffer.slice(0))
        let maxDiff = 0
        for (let i = 0; i < N; i++) maxDiff = Math.max(maxDiff, Math.abs(preds[i] - peerPreds[i]))
        const figures = {
          ours_s: median(ours.wall),
          peer_s: median(theirs.wall),
          ratio: median(ours.wall) / median(theirs.wall),
          cpu_ratio: median(ours.cpu) / median(theirs.cpu),
          ours_cpu_s: median(ours.cpu),
          peer_cpu_s: median(theirs.cpu),
          max_abs_diff: maxDiff,
        }
        console.log(
          `xgboost nthread=${nthread}: ` +
            Object.entries(figures)
              .map(([k, v]) => `${k}=${v.toPrecision(4)}`)
              .join(' '),
        )
        results.push({ nthread, ...figures, version })
      }
      // One closing line: the first thread count's figures, the others as extra keys.
      const [head, ...rest] = results
      const extra: Record<string, number | string> = {
        cpu_ratio: head.cpu_ratio,
        ours_cpu_s: head.ours_cpu_s,
        peer_cpu_s: head.peer_cpu_s,
        nthread: head.nthread,
        repeats: REPEATS,
        rows: N,
        cols: F,
        rounds: ROUNDS,
        max_abs_diff: Math.max(...results.map((r) => r.max_abs_diff)),
        identical: results.every((r) => r.max_abs_diff === 0) ? 'yes' : 'no',
        lib: xgb().version,
        peer: head.version,
      }
      for (const r of rest) {
        extra[`ratio_nthread${r.nthread}`] = r.ratio
        extra[`cpu_ratio_nthread${r.nthread}`] = r.cpu_ratio
        extra[`ours_s_nthread${r.nthread}`] = r.ours_s
        extra[`peer_s_nthread${r.nthread}`] = r.peer_s
      }
      console.log(benchLine('xgboost', head.ours_s, head.peer_s, extra))
    } finally {
      await peer.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
