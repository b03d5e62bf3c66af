import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OPENMP_SPIN_COUNT, openMpBlasDir, type ThreadPools } from '../../src/engines/thread-pools.js'
import { torchUnavailableReason } from '../../src/engines/torch/index.js'

const poolsUrl = new URL('../../src/engines/thread-pools.js', import.meta.url).href
const torchUrl = new URL('../../src/engines/torch/index.js', import.meta.url).href

interface ChildReport {
  pools: ThreadPools
  again: boolean
  spin: string | null
  /** Every OpenBLAS file mapped into the child. */
  blasFiles: string[]
  /** A product's bytes (base64), when the child ran one through libtorch. */
  product?: string
  blasThreads?: number | null
}

/** Run `body` (module code with `pools` and `torchIndex` imported) in a fresh process with `env`, get its report. */
function inChild(env: Record<string, string>, body = ''): ChildReport {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['GOMP_SPINCOUNT', 'OMP_WAIT_POLICY', 'MLF_BLAS'].includes(k)),
  )
  const code = `
    import { readFileSync } from 'node:fs'
    const pools = await import(${JSON.stringify(poolsUrl)})
    const report = {}
    ${body}
    const first = pools.prepareThreadPools()
    report.pools = first
    report.again = pools.prepareThreadPools() === first && pools.threadPools() === first
    report.spin = process.env.GOMP_SPINCOUNT ?? null
    report.blasFiles = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .filter((l) => l.includes('libopenblas')).map((l) => l.slice(l.indexOf('/'))))]
    console.log(JSON.stringify(report))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...base, ...env },
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as ChildReport
}

/** A 300 x 300 float32 product through libtorch at 2 threads (OpenBLAS under it), run before the report. */
const PRODUCT = `
  const { torch } = await import(${JSON.stringify(torchUrl)})
  const t = torch()
  t.setNumThreads(2)
  t.manualSeed(7)
  const a = t.randn([300, 300])
  report.product = Buffer.from(a.matmul(a.transpose(0, 1)).toArray().buffer).toString('base64')
  report.blasThreads = t.blasThreads()`

const openMpDir = openMpBlasDir()

describe('thread pools', () => {
  it('without the OpenMP OpenBLAS: a short spin where the user set none, the user setting otherwise', () => {
    const system = inChild({ MLF_BLAS: 'system' })
    assert.equal(system.pools.blas, 'system')
    assert.equal(system.pools.reason, 'MLF_BLAS=system')
    assert.deepEqual(system.pools.env, { GOMP_SPINCOUNT: OPENMP_SPIN_COUNT })
    assert.equal(system.spin, OPENMP_SPIN_COUNT)
    assert.equal(system.again, true)
    assert.deepEqual(system.blasFiles, [])

    const userSpin = inChild({ MLF_BLAS: 'system', GOMP_SPINCOUNT: '300000' })
    assert.deepEqual([userSpin.pools.env, userSpin.spin], [{}, '300000'])
    const userPolicy = inChild({ MLF_BLAS: 'system', OMP_WAIT_POLICY: 'active' })
    assert.deepEqual([userPolicy.pools.env, userPolicy.spin], [{}, null])
  })

  it("by default: Debian's OpenMP OpenBLAS preloaded, libgomp's own spin kept", (t) => {
    const r = inChild({})
    if (!openMpDir) {
      // Then the fallback, saying what to install.
      assert.equal(r.pools.blas, 'system')
      assert.match(r.pools.reason, /apt-get install libopenblas0-openmp/)
      assert.equal(r.spin, OPENMP_SPIN_COUNT)
      t.diagnostic('libopenblas0-openmp is not installed: only the fallback was checked')
      return
    }
    assert.equal(r.pools.blas, 'openmp')
    assert.deepEqual(r.pools.env, {})
    assert.equal(r.spin, null)
    assert.deepEqual(
      r.pools.preloaded,
      ['libopenblas.so.0', 'libblas.so.3', 'liblapack.so.3'].map((l) => `${openMpDir}/${l}`),
    )
    assert.equal(r.blasFiles.length, 1)
    assert.ok(r.blasFiles[0].startsWith(`${openMpDir}/`), r.blasFiles[0])
  })

  it('libtorch binds to the chosen OpenBLAS, which gives the same products as the system one', (t) => {
    const reason = torchUnavailableReason()
    if (reason) return t.skip(reason)
    const system = inChild({ MLF_BLAS: 'system' }, PRODUCT)
    assert.equal(system.blasFiles.length, 1)
    assert.ok(!system.blasFiles[0].includes('openblas-openmp'), system.blasFiles[0])
    assert.equal(system.blasThreads, 2)
    if (!openMpDir) return t.skip('libopenblas0-openmp is not installed')
    const openmp = inChild({}, PRODUCT)
    // One OpenBLAS in the process: libtorch's own libblas/libopenblas dependencies resolved to the preloaded build.
    assert.equal(openmp.blasFiles.length, 1)
    assert.ok(openmp.blasFiles[0].startsWith(`${openMpDir}/`), openmp.blasFiles[0])
    assert.equal(openmp.blasThreads, 2)
    assert.equal(openmp.product, system.product)
  })
})
