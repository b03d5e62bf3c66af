/** The native binding's safety and runtime surface: errors as exceptions, disposal, scopes, memory, optimizers. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  noGrad,
  tidy,
  torch,
  torchAvailability,
  torchUnavailableReason,
  TORCH_INSTALL_HINT,
} from '../../../src/engines/torch/index.js'
import { tempDir } from '../../helpers.js'

const reason = torchUnavailableReason()

describe('torch binding', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    it('reports itself unavailable with the install hint', () => {
      assert.deepEqual(torchAvailability(), { ok: false, hint: TORCH_INSTALL_HINT })
    })
    return
  }
  const t = torch()

  it('round-trips typed arrays with shape and dtype', () => {
    tidy(() => {
      const a = t.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])
      assert.deepEqual(a.shape, [2, 3])
      assert.equal(a.dtype, 'float32')
      assert.equal(a.device, 'cpu')
      assert.deepEqual([...a.transpose(0, 1).contiguous().toArray()], [1, 4, 2, 5, 3, 6])
      assert.deepEqual([...(t.tensor(new Float64Array([0.1, 0.2]), [2]).toArray() as Float64Array)], [0.1, 0.2])
      assert.deepEqual([...(t.arange(3).toArray() as BigInt64Array)], [0n, 1n, 2n])
      assert.equal(a.to('float64').dtype, 'float64')
      assert.equal(a.sum().item(), 21)
    })
  })

  it('turns libtorch errors into JavaScript exceptions, not aborts', () => {
    tidy(() => {
      assert.throws(() => t.zeros([2, 3]).matmul(t.zeros([2, 3])), /cannot be multiplied/)
      assert.throws(() => t.tensor(new Float32Array(5), [2, 3]), /shape needs 6 values, the array has 5/)
      assert.throws(() => t.zeros([2], 'complex' as never), /unknown dtype "complex"/)
      assert.throws(() => t.cat([t.zeros([2, 2]), t.zeros([3])]), /Error|dimensions/)
      assert.throws(() => (t.zeros as (s: unknown) => unknown)('x'), /zeros: argument 1/)
      assert.throws(() => t.conv1d(t.zeros([1, 2, 5]), t.zeros([3, 4, 3])), /channels|weight|input/)
      assert.throws(() => t.zeros([2]).to('cuda:7'), /CUDA|cuda|device/)
    })
  })

  it('dispose frees now and later use throws a clear error', () => {
    const a = t.ones([3])
    a.dispose()
    assert.ok(a.isDisposed())
    assert.throws(() => a.add(1), /disposed tensor/)
    assert.throws(() => t.ones([3]).add(a), /argument 1 is a disposed tensor/)
  })

  it('tidy frees intermediates and keeps the result', () => {
    const before = t.liveTensors()
    const a = t.ones([4])
    let inner: ReturnType<typeof t.ones> | undefined
    const r = tidy(() => {
      inner = a.mul(2)
      return { out: inner.add(1), n: 3 }
    })
    assert.ok(inner!.isDisposed())
    assert.ok(!r.out.isDisposed())
    assert.deepEqual([...r.out.toArray()], [3, 3, 3, 3])
    r.out.dispose()
    a.dispose()
    assert.equal(t.scopeDepth(), 0)
    // Wrappers may linger until GC, but their storage is released.
    assert.ok(t.liveTensors() >= before)
    assert.throws(() => tidy(() => t.zeros([2]).matmul(t.zeros([3]))), /size|shape|dimension/)
    assert.equal(t.scopeDepth(), 0, 'a throwing scope is closed')
  })

  it('autograd: backward, grad, no_grad', () => {
    tidy(() => {
      const w = t.tensor(new Float64Array([1, -2, 3]), [3], 'float64').setRequiresGrad(true)
      w.mul(w).sum().backward()
      assert.deepEqual([...(w.grad!.toArray() as Float64Array)], [2, -4, 6])
      w.zeroGrad()
      assert.equal(w.grad, null)
      const y = noGrad(() => w.mul(2))
      assert.equal(y.requiresGrad, false)
      assert.equal(t.isGradEnabled(), true)
    })
  })

  it('optimizers minimise a quadratic; clipping bounds the step; state saves and loads', () => {
    for (const kind of ['adam', 'adamw', 'sgd'] as const) {
      const x = t.keep(t.tensor(new Float32Array([3, -2]), [2]).setRequiresGrad(true))
      const opt = t.optimizerCreate(kind, [x], { lr: kind === 'sgd' ? 0.1 : 0.1, momentum: 0.5, weightDecay: 0 })
      for (let i = 0; i < 200; i++) {
        tidy(() => {
          t.optimizerZeroGrad(opt)
          x.sub(t.tensor(new Float32Array([1, 1]), [2]))
            .square()
            .sum()
            .backward()
          t.optimizerStep(opt)
        })
      }
      const v = x.toArray() as Float32Array
      assert.ok(Math.abs(v[0] - 1) < 0.05 && Math.abs(v[1] - 1) < 0.05, `${kind} converged to ${v}`)
      x.dispose()
    }
    const p = t.keep(t.tensor(new Float32Array([0, 0]), [2]).setRequiresGrad(true))
    tidy(() =>
      p
        .mul(t.tensor(new Float32Array([30, 40]), [2]))
        .sum()
        .backward(),
    )
    const norm = t.clipGradNorm([p], 1)
    assert.ok(Math.abs(norm - 50) < 1e-4)
    assert.ok(Math.abs(p.grad!.norm().item() - 1) < 1e-4)
    const opt = t.optimizerCreate('adam', [p], { lr: 0.5 })
    t.optimizerStep(opt)
    const dir = tempDir('mlf-optim-')
    t.optimizerSave(opt, join(dir, 'o.pt'))
    const opt2 = t.optimizerCreate('adam', [p], { lr: 0.5 })
    t.optimizerLoad(opt2, join(dir, 'o.pt'))
    t.optimizerSetLr(opt2, 0.25)
    assert.equal(t.optimizerGetLr(opt2), 0.25)
    assert.throws(() => t.optimizerCreate('lbfgs' as never, [p]), /unknown optimizer "lbfgs"/)
    p.dispose()
  })

  it('manual seed and RNG state reproduce random draws', () => {
    tidy(() => {
      t.manualSeed(42)
      const a = t.randn([5]).toArray()
      t.manualSeed(42)
      const state = t.getRngState()
      const b = t.randn([5]).toArray()
      t.setRngState(state)
      const c = t.randn([5]).toArray()
      assert.deepEqual(a, b)
      assert.deepEqual(b, c)
    })
  })

  it('sets the thread count, of the BLAS pool too where it is OpenBLAS', () => {
    const prev = t.getNumThreads()
    t.setNumThreads(1)
    assert.equal(t.getNumThreads(), 1)
    const blas = t.blasThreads()
    if (blas !== null) {
      // OpenBLAS sizes its pool to all cores on its own; a "1 thread" run must not use more.
      assert.equal(blas, 1)
      t.setNumThreads(2)
      assert.equal(t.blasThreads(), 2)
    }
    t.setNumThreads(prev)
    assert.throws(() => t.setNumThreads(0), /threads must be >= 1/)
  })

  it('large tensor blocks are cached by size, reused, and returned by emptyCache', () => {
    t.emptyCache()
    assert.equal(t.cachedBytes(), 0)
    const n = 1 << 20 // 4 MiB of float32: a mapped block
    const a = t.full([n], 3)
    assert.equal(t.cachedBytes(), 0)
    a.dispose()
    const cached = t.cachedBytes()
    assert.ok(cached >= 4 * n, `a released 4 MiB block is cached (${cached} bytes)`)
    // The next tensor of that size takes the cached block (and holds its own values, not the old ones).
    const b = t.zeros([n])
    assert.equal(t.cachedBytes(), 0)
    assert.equal(b.sum().item(), 0)
    const c = t.arange(n, 'float64')
    assert.equal(c.sum().item(), (n * (n - 1)) / 2)
    // Small tensors never enter the cache.
    t.ones([16]).dispose()
    for (const x of [b, c]) x.dispose()
    assert.ok(t.cachedBytes() > cached, 'both big blocks cached')
    assert.ok(t.emptyCache() > cached)
    assert.equal(t.cachedBytes(), 0)
  })

  it('1,000 training steps do not grow resident memory', async () => {
    t.setNumThreads(1)
    t.manualSeed(1)
    const mk = (shape: number[]) => t.keep(t.randn(shape).mul(0.1).setRequiresGrad(true))
    const ps = [mk([64, 8]), mk([64, 16]), mk([64]), mk([64]), mk([1, 16]), mk([1])]
    const opt = t.optimizerCreate('adam', ps, { lr: 1e-3 })
    const x = t.keep(t.randn([32, 20, 8]))
    const y = t.keep(t.rand([32]).gt(0.5))
    const step = (): void =>
      tidy(() => {
        const h = t.lstm(x, null, ps.slice(0, 4), true, 1, 0, true, false, true)[0].select(1, -1)
        const loss = t.bceWithLogits(t.linear(h, ps[4], ps[5]).squeeze(-1), y)
        t.optimizerZeroGrad(opt)
        loss.backward()
        t.clipGradNorm(ps, 1)
        t.optimizerStep(opt)
      })
    // A real GC, so wrappers that JS dropped are finalised before counting.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    // Node runs native finalizers from the event loop, so the loop yields now and then (as trainLoop does).
    const run = async (steps: number): Promise<void> => {
      for (let i = 1; i <= steps; i++) {
        step()
        if (i % 50 === 0) await new Promise((r) => setImmediate(r))
      }
      gc()
      await new Promise((r) => setImmediate(r))
    }
    // Warm-up: the first ~1,000 steps grow RSS once (allocator arenas and libtorch's caches settle, measured at
    // ~48 MiB and flat afterwards). On a loaded machine the settling can spill into the next window, so three windows
    // of 1,000 steps are measured: a leak grows every one of them, settling does not, so the smallest must be flat.
    await run(1000)
    const live0 = t.liveTensors()
    const windows: number[] = []
    for (let w = 0; w < 3; w++) {
      const rss0 = process.memoryUsage().rss
      await run(1000)
      windows.push((process.memoryUsage().rss - rss0) / 2 ** 20)
    }
    const grown = Math.min(...windows)
    assert.ok(
      grown < 16,
      `RSS grew in every window of 1,000 steps (${windows.map((g) => g.toFixed(1)).join(', ')} MiB)`,
    )
    assert.ok(t.liveTensors() - live0 < 50, `live tensors grew from ${live0} to ${t.liveTensors()}`)
    for (const p of [...ps, x, y]) p.dispose()
  })
})
