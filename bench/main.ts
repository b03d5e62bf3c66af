/**
 * `npm run bench -- <name>`: runs one benchmark, which compares our code with a peer on the same machine and ends
 * with one `BENCH <name> ratio=... ours_s=... peer_s=...` line.
 */
type Benchmark = () => Promise<void>

// One line per benchmark: its name and the module that runs it.
const benchmarks = new Map<string, () => Promise<Benchmark>>([
  ['xgboost', async () => (await import('./xgboost/main.js')).default],
  ['ingest', async () => (await import('./ingest/run.js')).default],
  ['run', async () => (await import('./run/main.js')).default],
  ['logistic', async () => (await import('./logistic/main.js')).default],
  ['latency', async () => (await import('./latency/main.js')).default],
  ['labels', async () => (await import('./labels/main.js')).default],
  ['features', async () => (await import('./features/main.js')).default],
  ['torch', async () => (await import('./torch/main.js')).default],
  ['torch_patchtst', async () => (await import('./torch/zoo.js')).patchtstBench],
  ['torch_nhits', async () => (await import('./torch/zoo.js')).nhitsBench],
  ['calibration', async () => (await import('./calibration/main.js')).default],
  ['hmm', async () => (await import('./hmm/main.js')).default],
  ['msw', async () => (await import('./msw/main.js')).default],
  ['sweep', async () => (await import('./sweep/main.js')).default],
  ['serve', async () => (await import('./serve/main.js')).default],
  ['rl', async () => (await import('./rl/main.js')).default],
])

const name = process.argv[2]
const load = name ? benchmarks.get(name) : undefined
if (!load) {
  process.stderr.write(`usage: npm run bench -- <name>\nbenchmarks: ${[...benchmarks.keys()].join(', ')}\n`)
  process.exit(2)
}
await (
  await load()
)()
