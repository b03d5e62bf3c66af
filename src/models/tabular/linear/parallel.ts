import { Worker } from 'node:worker_threads'
import { fitThreads } from '../../../engines/threads.js'
import type { Kernel, LogisticProblem } from './logloss.js'
import { hasWasmKernel, kernelRows, makeKernel, rowRange, type KernelSpec } from './kernels.js'
import { MAX_PAGES } from '../../wasm/encode.js'
import { newMemory, rowBytes, scratchBytes, wasmAvailable, type WasmPlace } from './wasm/logistic.js'

/**
 * Row-parallel loss kernels on worker threads. The data goes to the workers once per fit, in shared memory; each call
 * publishes the effective weights, wakes the workers through Atomics, computes the main thread's own block, waits
 * (synchronously: L-BFGS calls the objective synchronously) and adds the workers' partial sums in worker order, so
 * results are deterministic for a given thread count (they differ in the last bits from other counts, which is
 * why FitContext.threads is recorded).
 */

/** Below this many rows per thread, thread start-up costs more than it saves. */
const MIN_ROWS_PER_THREAD = 20_000

// Control words in each worker's Int32Array.
const GENERATION = 0 // bumped by the main thread to start a pass; -1 asks the worker to exit
const DONE = 1 // set to the generation the worker finished, or -1 on failure
const STARTED = 2 // set to 1 by the worker when it picks up the job

export interface WorkerSetup {
  readonly x: Float64Array
  readonly labels: Int32Array
  readonly weights: Float64Array
  readonly f: number
  readonly spec: KernelSpec
  readonly control: Int32Array
  /** Effective weights (rows*f) then intercepts (rows), written by the main thread. */
  readonly params: Float64Array
  /** Partial gradient (rows*f), intercept gradient (rows), then the partial loss. */
  readonly result: Float64Array
  /** Where the worker's WebAssembly kernel finds its rows and scratch, when there is one. */
  readonly place?: WasmPlace
}

/**
 * Worker threads kept for the life of the process (started on first use, unref'd so they never keep it alive):
 * starting a worker costs tens of milliseconds, which cross-validation would otherwise pay on every fit. Fits run
 * one at a time on the thread that calls them, so a pool of the largest size asked for is enough.
 */
const pool: Worker[] = []

function workerPool(size: number): Worker[] {
  while (pool.length < size) {
    const worker = new Worker(new URL('./kernel-worker.js', import.meta.url))
    worker.unref()
    pool.push(worker)
  }
  return pool.slice(0, size)
}

function shared<T extends Float64Array | Int32Array>(src: T): T {
  if (src.buffer instanceof SharedArrayBuffer) return src
  const Ctor = src.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }
  const out = new Ctor(new SharedArrayBuffer(src.length * Ctor.BYTES_PER_ELEMENT))
  out.set(src)
  return out
}

/**
 * The shared memory that fits reuse, grown as needed. One fit runs at a time (see the worker pool above), so one
 * memory serves them all; a fresh memory per fit was never freed, because the worker threads that hold its last
 * references sit idle and collect no garbage (measured: +40 MB of resident memory per 100k x 50 fit).
 */
let memoryPool: WebAssembly.Memory | undefined

/** The pooled shared memory, at least `bytes` long; undefined when it cannot be had. */
function pooledMemory(bytes: number): WebAssembly.Memory | undefined {
  memoryPool ??= newMemory(bytes, true, MAX_PAGES)
  if (!memoryPool) return undefined
  const have = memoryPool.buffer.byteLength
  if (have < bytes) {
    try {
      memoryPool.grow(Math.ceil((bytes - have) / 65536))
    } catch {
      return undefined
    }
  }
  return memoryPool
}

/** Byte offsets of a problem's blocks in the shared memory: rows, labels, weights, then one scratch per thread. */
function sharedLayout(n: number, f: number, threads: number) {
  const align = (b: number): number => Math.ceil(b / 16) * 16
  const labels = rowBytes(n, f)
  const weights = labels + align(4 * n)
  const scratch = weights + align(8 * n)
  return { labels, weights, scratch, bytes: scratch + threads * scratchBytes(f) }
}

interface SharedProblem {
  /** Where each thread's WebAssembly kernel finds its rows and scratch; undefined for JavaScript kernels. */
  readonly places: WasmPlace[] | undefined
  /** The problem's rows, labels and weights as views of the shared memory (workers receive these, not copies). */
  readonly part: (start: number, end: number) => Pick<LogisticProblem, 'x' | 'labels' | 'weights'>
}

/**
 * The rows, labels and weights copied once into the shared memory (the workers read their blocks in place), and a
 * scratch area per thread for kernels with a WebAssembly version; undefined when no shared memory can be had.
 */
function sharedProblem(p: LogisticProblem, spec: KernelSpec, bounds: readonly number[]): SharedProblem | undefined {
  const threads = bounds.length - 1
  const layout = sharedLayout(p.n, p.f, threads)
  const memory = pooledMemory(layout.bytes)
  if (!memory) return undefined
  const buffer = memory.buffer
  const x = new Float64Array(buffer, 0, p.n * p.f)
  const labels = new Int32Array(buffer, layout.labels, p.n)
  const weights = new Float64Array(buffer, layout.weights, p.n)
  x.set(p.x)
  labels.set(p.labels)
  weights.set(p.weights)
  const scratch = scratchBytes(p.f)
  const wasm = hasWasmKernel(spec) && wasmAvailable(true)
  return {
    places: wasm
      ? bounds.slice(0, -1).map((b, i) => ({ memory, rows: b * p.f * 8, scratch: layout.scratch + i * scratch }))
      : undefined,
    part: (start, end) => ({
      x: x.subarray(start * p.f, end * p.f),
      labels: labels.subarray(start, end),
      weights: weights.subarray(start, end),
    }),
  }
}

/** A kernel that may own worker threads; `close` lets them exit (idempotent). */
export type ClosableKernel = Kernel & { close?: () => void }

/** A kernel over all rows using `threads` threads (the plain kernel when that would not pay off). */
export function parallelKernel(p: LogisticProblem, spec: KernelSpec, threads: number): ClosableKernel {
  const t = Math.min(fitThreads(threads, 'linear kernel'), Math.floor(p.n / MIN_ROWS_PER_THREAD))
  if (t <= 1) return makeKernel(p, spec)
  const rows = kernelRows(spec)
  const nw = rows * p.f
  const bounds = Array.from({ length: t + 1 }, (_, i) => Math.round((i * p.n) / t))
  const sharedData = sharedProblem(p, spec, bounds)
  const places = sharedData?.places
  const own = makeKernel(rowRange(p, bounds[0], bounds[1]), spec, places?.[0])
  const workers: { control: Int32Array; params: Float64Array; result: Float64Array }[] = []
  const pool = workerPool(t - 1)
  for (let i = 1; i < t; i++) {
    const part = rowRange(p, bounds[i], bounds[i + 1])
    const setup: WorkerSetup = {
      // Data already in the shared WebAssembly memory goes as views of it, not copied again.
      ...(sharedData
        ? sharedData.part(bounds[i], bounds[i + 1])
        : { x: shared(part.x), labels: shared(part.labels), weights: shared(part.weights) }),
      f: p.f,
      spec,
      control: new Int32Array(new SharedArrayBuffer(12)),
      params: new Float64Array(new SharedArrayBuffer((nw + rows) * 8)),
      result: new Float64Array(new SharedArrayBuffer((nw + rows + 1) * 8)),
      ...(places ? { place: places[i] } : {}),
    }
    pool[i - 1].postMessage(setup)
    workers.push({ control: setup.control, params: setup.params, result: setup.result })
  }
  let generation = 0
  const stop = (): void => {
    for (const wk of workers) {
      Atomics.store(wk.control, GENERATION, -1)
      Atomics.notify(wk.control, GENERATION)
    }
  }
  const kernel: ClosableKernel = (w, b, gw, gb) => {
    generation++
    for (const wk of workers) {
      wk.params.set(w)
      wk.params.set(b, nw)
      Atomics.store(wk.control, GENERATION, generation)
      Atomics.notify(wk.control, GENERATION)
    }
    let loss = own(w, b, gw, gb)
    for (const wk of workers) {
      const since = Date.now()
      for (;;) {
        const done = Atomics.load(wk.control, DONE)
        if (done === generation) break
        // A worker that never picked up its job (it failed to start) would otherwise be waited for forever.
        if (Atomics.load(wk.control, STARTED) === 0 && Date.now() - since > 60_000) {
          stop()
          throw new Error('linear model worker thread did not start within 60 s')
        }
        if (done === -1) {
          stop()
          throw new Error('linear model worker thread failed (its error is on stderr)')
        }
        Atomics.wait(wk.control, DONE, done, 1000)
      }
      const r = wk.result
      for (let j = 0; j < nw; j++) gw[j] += r[j]
      for (let k = 0; k < rows; k++) gb[k] += r[nw + k]
      loss += r[nw + rows]
    }
    return loss
  }
  kernel.close = stop
  return kernel
}
