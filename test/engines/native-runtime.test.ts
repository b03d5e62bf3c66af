import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, realpathSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  OPENMP_SPIN_COUNT,
  coreForCpuFlags,
  openMpBlasDir,
  type NativeRuntime,
} from '../../src/engines/native-runtime.js'
import { torchUnavailableReason } from '../../src/engines/torch/index.js'

const runtimeUrl = new URL('../../src/engines/native-runtime.js', import.meta.url).href
const torchUrl = new URL('../../src/engines/torch/index.js', import.meta.url).href

interface ChildReport {
  rt: NativeRuntime
  again: boolean
  spin: string | null
  /** Every OpenBLAS file mapped into the child. */
  blasFiles: string[]
  /** A product's bytes (base64), when the child ran one through libtorch. */
  product?: string
  blasThreads?: number | null
}

/** Run `body` (module code that may fill `report`) in a fresh process with `env`, then set the runtime up. */
function inChild(env: Record<string, string>, body = ''): ChildReport {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OUR_VARIABLES.includes(k)))
  const code = `
    import { readFileSync } from 'node:fs'
    const runtime = await import(${JSON.stringify(runtimeUrl)})
    const report = {}
    ${body}
    const first = runtime.prepareNativeRuntime()
    report.rt = first
    report.again = runtime.prepareNativeRuntime() === first && runtime.nativeRuntime() === first
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

const OUR_VARIABLES = ['GOMP_SPINCOUNT', 'OMP_WAIT_POLICY', 'MLF_BLAS', 'OPENBLAS_CORETYPE']
const openMpDir = openMpBlasDir()
const flags = new Set(
  (
    readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags')) ?? ''
  ).split(/[\s:]+/),
)

/**
 * The OpenBLAS file the dynamic loader resolves `libopenblas.so.0` to, read from its cache (not from our code):
 * the pthread or the OpenMP build, whichever the system's alternatives point at; null where none is installed.
 */
function systemBlasFile(): string | null {
  const arch = process.arch === 'x64' ? 'x86-64' : process.arch === 'arm64' ? 'AArch64' : ''
  let cache: string
  try {
    cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' })
  } catch {
    return null // no loader cache to read (not glibc Linux): the checks below then expect no system OpenBLAS
  }
  const line = cache.split('\n').find((l) => l.trim().startsWith('libopenblas.so.0 ') && l.includes(arch))
  return line ? realpathSync(line.slice(line.indexOf('=> ') + 3).trim()) : null
}
const systemBlas = systemBlasFile()

/** The kernel family expected after setup: OpenBLAS's own pick unless that was the fallback on a capable CPU. */
const capableCore = coreForCpuFlags(flags)

/** What the runtime set beside the spin: OPENBLAS_CORETYPE only where OpenBLAS fell back on a capable CPU. */
function checkCore(r: ChildReport): void {
  assert.ok(r.rt.blasCore, 'an OpenBLAS was opened')
  if (capableCore) assert.notEqual(r.rt.blasCore.toLowerCase(), 'prescott', 'the fallback kernels on a capable CPU')
  const forced = r.rt.env.OPENBLAS_CORETYPE
  if (forced !== undefined) {
    assert.equal(forced, capableCore)
    assert.equal(r.rt.blasCore.toLowerCase(), forced.toLowerCase())
  }
}

describe('native runtime', () => {
  it('picks OpenBLAS kernels by instruction set', () => {
    const avx512 = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl']
    assert.equal(coreForCpuFlags(new Set(['sse3', 'avx', 'avx2', 'fma', ...avx512])), 'SkylakeX')
    assert.equal(coreForCpuFlags(new Set(['avx', 'avx2', 'fma', 'avx512f'])), 'Haswell')
    assert.equal(coreForCpuFlags(new Set(['avx', 'avx2'])), 'SandyBridge')
    assert.equal(coreForCpuFlags(new Set(['sse3', 'ssse3'])), null)
  })

  it('without the OpenMP OpenBLAS: a short spin where the user set none, the user setting otherwise', () => {
    const system = inChild({ MLF_BLAS: 'system' })
    assert.equal(system.rt.blas, 'system')
    assert.equal(system.rt.reason, 'MLF_BLAS=system')
    assert.deepEqual(system.rt.preloaded, [])
    assert.equal(system.rt.env.GOMP_SPINCOUNT, OPENMP_SPIN_COUNT)
    assert.equal(system.spin, OPENMP_SPIN_COUNT)
    assert.equal(system.again, true)
    // The system's OpenBLAS, which is the OpenMP build itself where the alternatives point at it (a fresh machine).
    assert.deepEqual(system.blasFiles, systemBlas ? [systemBlas] : [])
    checkCore(system)

    const userSpin = inChild({ MLF_BLAS: 'system', GOMP_SPINCOUNT: '300000' })
    assert.deepEqual([userSpin.rt.env.GOMP_SPINCOUNT, userSpin.spin], [undefined, '300000'])
    const userPolicy = inChild({ MLF_BLAS: 'system', OMP_WAIT_POLICY: 'active' })
    assert.deepEqual([userPolicy.rt.env.GOMP_SPINCOUNT, userPolicy.spin], [undefined, null])
  })

  it("by default: Debian's OpenMP OpenBLAS preloaded, libgomp's own spin kept", (t) => {
    const r = inChild({})
    if (!openMpDir) {
      // Then the fallback, saying what to install.
      assert.equal(r.rt.blas, 'system')
      assert.match(r.rt.reason, /apt-get install libopenblas0-openmp/)
      assert.equal(r.spin, OPENMP_SPIN_COUNT)
      t.diagnostic('libopenblas0-openmp is not installed: only the fallback was checked')
      return
    }
    assert.equal(r.rt.blas, 'openmp')
    assert.equal(r.rt.env.GOMP_SPINCOUNT, undefined)
    assert.equal(r.spin, null)
    assert.deepEqual(
      r.rt.preloaded,
      ['libopenblas.so.0', 'libblas.so.3', 'liblapack.so.3'].map((l) => `${openMpDir}/${l}`),
    )
    assert.equal(r.blasFiles.length, 1)
    assert.ok(r.blasFiles[0].startsWith(`${openMpDir}/`), r.blasFiles[0])
    checkCore(r)
    if (r.rt.env.OPENBLAS_CORETYPE) t.diagnostic(`OpenBLAS fell back on this CPU; kernels: ${r.rt.blasCore}`)
  })

  it("a kernel family the user chose is OpenBLAS's to apply, not ours", (t) => {
    if (process.arch !== 'x64') return t.skip('x86-64 kernel names')
    const r = inChild({ OPENBLAS_CORETYPE: 'Nehalem' })
    assert.equal(r.rt.env.OPENBLAS_CORETYPE, undefined)
    assert.equal(r.rt.blasCore, 'Nehalem')
  })

  it('libtorch binds to the chosen OpenBLAS, which gives the same products as the system one', (t) => {
    const reason = torchUnavailableReason()
    if (reason) return t.skip(reason)
    const system = inChild({ MLF_BLAS: 'system' }, PRODUCT)
    assert.deepEqual(system.blasFiles, [systemBlas])
    assert.equal(system.blasThreads, 2)
    if (!openMpDir) return t.skip('libopenblas0-openmp is not installed')
    const openmp = inChild({}, PRODUCT)
    // One OpenBLAS in the process: libtorch's own libblas/libopenblas dependencies resolved to the preloaded build.
    assert.equal(openmp.blasFiles.length, 1)
    assert.ok(openmp.blasFiles[0].startsWith(`${openMpDir}/`), openmp.blasFiles[0])
    assert.equal(openmp.blasThreads, 2)
    assert.deepEqual([openmp.rt.blasCore, openmp.product], [system.rt.blasCore, system.product])
  })
})
