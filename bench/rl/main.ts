/**
 * bench/rl: PPO (2x64 tanh MLP policy and value, GAE, clipped objective; 16 environments x 128-step rollouts,
 * 4 epochs of 256-sample minibatches) for 100,000 environment steps on the built-in sample, against the same
 * algorithm written with Python torch over the same environment logic in NumPy (bench/rl/peer.py), at the same
 * thread count (BENCH_RL_THREADS, default 1; both sides size OpenBLAS's pool too). Both select on the same
 * validation series after every update (a rollout of the policy's mean over its rows), as the policy does in a run.
 *
 * The observation: the sample carries no chain outputs of its own, so it reads the market state the environment
 * offers at each bar's close (`return_1`, the last one-bar log return) and the held position; the reward is the net
 * P&L after taker costs (fees 2 bp, slippage 1 bp), the arithmetic of backtest/costs.ts. Training rows: the first 80%
 * of the bars; validation: the next 2,000.
 *
 * Also timed: our vectorised step alone (BarEnvironment.step over 4,096 environments, random targets), as
 * env_steps_per_s (goal: at least 1,000,000). BENCH_RL_STEPS shortens the training for a smoke run. Prints one BENCH
 * line: ratio = ours / peer (goal at most 1).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { seededRandom } from '../../src/core/random.js'
import { ingestFile } from '../../src/data/ingest.js'
import type { Bars } from '../../src/data/bars.js'
import { torchUnavailableReason } from '../../src/engines/torch/index.js'
import { BarEnvironment, fitScaler, rlSeries, type RlSeries } from '../../src/policy/rl/environment.js'
import { holdSpread } from '../../src/policy/rl/networks.js'
import { ppoPolicySchema } from '../../src/policy/rl/params.js'
import { trainPpo } from '../../src/policy/rl/ppo.js'
import { benchLine, repoRoot, runPythonPeer } from '../lib.js'

const STEPS = Number(process.env.BENCH_RL_STEPS ?? 100_000)
const THREADS = Number(process.env.BENCH_RL_THREADS ?? 1)
const VAL_ROWS = 2000
const ENV_BATCH = 4096
const ENV_STEPS = 200
const COSTS = { fees: 2, slippage: 1 }
const SEED = 42

function seriesOf(bars: Bars, from: number, to: number): RlSeries {
  const rows = Int32Array.from({ length: to - from }, (_, i) => from + i)
  const n = rows.length
  const market = {
    bars,
    rows,
    vol: new Float64Array(bars.length),
    barriers: { kUp: 1, kDown: 1, costPrice: 0, costBps: 0 },
    roundTrip: 0,
  }
  return rlSeries({ n, p: new Float64Array(3 * n) }, market, ['return_1'], COSTS)
}

/** Vectorised environment steps per second over ENV_BATCH environments. */
function envStepsPerSecond(series: RlSeries): number {
  const scaler = fitScaler(series)
  const env = new BarEnvironment(series, {
    envs: ENV_BATCH,
    episode: 256,
    reward: 'pnl',
    eta: 0.01,
    scale: 1,
    seed: SEED,
    ...scaler,
  })
  const rand = seededRandom(SEED)
  const actions = Float64Array.from({ length: ENV_BATCH * ENV_STEPS }, () => 2 * rand() - 1)
  for (let s = 0; s < 20; s++) env.step(actions.subarray(s * ENV_BATCH)) // warm-up (JIT)
  const t0 = process.hrtime.bigint()
  for (let s = 0; s < ENV_STEPS; s++) env.step(actions.subarray(s * ENV_BATCH))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  return (ENV_BATCH * ENV_STEPS) / seconds
}

export default async function run(): Promise<void> {
  const reason = torchUnavailableReason()
  if (reason) throw new Error(`rl bench: ${reason}`)
  const { bars } = await ingestFile(join(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz'))
  const cut = Math.floor(bars.length * 0.8)
  const train = seriesOf(bars, 1, cut)
  const val = seriesOf(bars, cut, Math.min(bars.length, cut + VAL_ROWS))
  const params = ppoPolicySchema.parse({
    kind: 'rl',
    algorithm: 'ppo',
    inputs: ['return_1'],
    // The series and the peer observe the held position.
    observe_position: true,
    steps: STEPS,
    threads: THREADS,
  })
  const stepsPerSecond = envStepsPerSecond(train)

  const dir = await mkdtemp(join(tmpdir(), 'mlf-bench-rl-'))
  try {
    const scaler = fitScaler(train)
    const write = (name: string, a: Float64Array) => writeFile(join(dir, name), new Uint8Array(a.buffer))
    for (const [name, s] of [
      ['train', train],
      ['val', val],
    ] as const) {
      await write(`${name}_features.f64`, s.features)
      await write(`${name}_gap.f64`, s.gap)
      await write(`${name}_hold.f64`, s.hold)
    }
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        ...params,
        width: train.width,
        n_train: train.n,
        n_val: val.n,
        cost_buy: train.costBuy,
        cost_sell: train.costSell,
        scale: 1 / holdSpread(train),
        center: Array.from(scaler.center),
        spread: Array.from(scaler.spread),
        seed: SEED,
      }),
    )
    const t0 = process.hrtime.bigint()
    const ours = trainPpo(train, val, params, SEED)
    const oursSeconds = Number(process.hrtime.bigint() - t0) / 1e9
    process.stdout.write(
      `ours: ${oursSeconds.toFixed(2)} s for ${ours.steps} environment steps; vectorised step ` +
        `${Math.round(stepsPerSecond)} environment steps/s; now the Python torch peer\n`,
    )
    const peer = runPythonPeer(join(repoRoot, 'bench', 'rl', 'peer.py'), [dir])
    const peerSeconds = peer.seconds as number
    process.stdout.write(
      `PPO, ${ours.steps} environment steps (${params.envs} envs x ${params.rollout}-step rollouts), ` +
        `${train.n} training rows, ${val.n} validation rows, ${THREADS} thread(s):\n` +
        `  ours ${oursSeconds.toFixed(2)} s (validation P&L ${ours.valPnl.toFixed(4)} at update ${ours.update}), ` +
        `python torch ${peerSeconds.toFixed(2)} s (validation P&L ${(peer.val_pnl as number).toFixed(4)})\n` +
        `  vectorised step: ${Math.round(stepsPerSecond).toLocaleString('en')} environment steps/s over ` +
        `${ENV_BATCH} environments (goal 1,000,000)\n`,
    )
    process.stdout.write(
      benchLine('rl', oursSeconds, peerSeconds, {
        env_steps_per_s: Math.round(stepsPerSecond),
        steps: ours.steps,
        threads: THREADS,
        val_pnl_ours: ours.valPnl,
        val_pnl_peer: peer.val_pnl as number,
      }) + '\n',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
