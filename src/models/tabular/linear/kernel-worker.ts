import { parentPort } from 'node:worker_threads'
import { makeKernel } from './kernels.js'
import type { WorkerSetup } from './parallel.js'

/**
 * Worker side of parallel.ts. Idle in the event loop until a job (WorkerSetup) arrives; then, synchronously: wait
 * for a generation, run the kernel on this block of rows, publish, repeat, until the generation is -1.
 */
function run(s: WorkerSetup): void {
  const rows = s.spec.loss === 'logistic' ? s.spec.rows : 1
  const nw = rows * s.f
  const kernel = makeKernel(
    { x: s.x, n: s.labels.length, f: s.f, labels: s.labels, weights: s.weights, l2: 0, fitIntercept: true },
    s.spec,
    s.place,
  )
  const gw = new Float64Array(nw)
  const gb = new Float64Array(rows)
  let seen = 0
  Atomics.store(s.control, 2, 1) // STARTED
  for (;;) {
    Atomics.wait(s.control, 0, seen)
    const generation = Atomics.load(s.control, 0)
    if (generation === -1) return
    if (generation === seen) continue
    seen = generation
    try {
      gw.fill(0)
      gb.fill(0)
      const loss = kernel(s.params.subarray(0, nw), s.params.subarray(nw), gw, gb)
      s.result.set(gw)
      s.result.set(gb, nw)
      s.result[nw + rows] = loss
      Atomics.store(s.control, 1, generation)
    } catch (e) {
      process.stderr.write(`linear model worker: ${(e as Error).stack}\n`)
      Atomics.store(s.control, 1, -1)
    }
    Atomics.notify(s.control, 1)
  }
}

parentPort!.on('message', (setup: WorkerSetup) => run(setup))
