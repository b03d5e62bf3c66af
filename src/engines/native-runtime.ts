/**
 * The runtime the native engines share, set up once before the first of them loads (libtorch, XGBoost): which
 * OpenBLAS build libtorch's matrix products run on, which of its kernels, and libgomp's idle spin (libgomp and
 * OpenBLAS read their settings once, at load).
 *
 * Pools. libtorch runs its own loops on OpenMP and its matrix products on OpenBLAS. Debian's default OpenBLAS build
 * keeps a pthread pool of its own, and on as many cores as threads the idle threads of the two pools spin and preempt
 * each other: an LSTM epoch at 2 threads took 23 s, four times its time at 1 (Python torch shows the same, with the
 * same libraries). Where Debian's OpenMP build of OpenBLAS is installed (libopenblas0-openmp; scripts/setup.sh
 * installs it), it is loaded first, so libtorch binds to it by soname and OpenBLAS runs on libgomp's pool: one pool,
 * whose default spin suits short ops (TCN). Elsewhere libgomp's idle spin is shortened instead (GOMP_SPINCOUNT=10000),
 * which rescues the LSTM but costs a TCN epoch a few percent. MLF_BLAS=system keeps the system's OpenBLAS.
 *
 * Kernels. OpenBLAS picks its kernels by CPU model, and a model newer than the library (Debian's 0.3.21 on a 5th
 * generation Xeon) falls back to the Prescott kernels (SSE3): matrix products ran at about half speed and an LSTM
 * epoch took 7.7 s instead of 4.2 s. When that fallback happened on a CPU with AVX2 or AVX-512, the kernels are
 * chosen again by instruction set (what OPENBLAS_CORETYPE does), before anything has used them.
 *
 * Whatever the user set (GOMP_SPINCOUNT, OMP_WAIT_POLICY, OPENBLAS_CORETYPE) is left alone.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export const OPENMP_SPIN_COUNT = '10000'

/** libopenblas first: the other two are thin interfaces over it and must come from the same build. */
const OPENMP_BLAS_LIBS = ['libopenblas.so.0', 'libblas.so.3', 'liblapack.so.3'] as const

/** OpenBLAS's last resort when it does not know the CPU model. */
const FALLBACK_CORE = 'Prescott'

const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
}

export interface NativeRuntime {
  /** Which OpenBLAS the engines run on: Debian's OpenMP build (one pool) or whatever the system resolves. */
  readonly blas: 'openmp' | 'system'
  /** Why `blas` is 'system' (empty when it is 'openmp'). */
  readonly reason: string
  /** OpenBLAS's kernel family in use (its corename), or null where no OpenBLAS could be opened. */
  readonly blasCore: string | null
  /** Libraries loaded ahead of the engines, in order. */
  readonly preloaded: readonly string[]
  /** Environment variables set here, not by the user. */
  readonly env: Readonly<Record<string, string>>
}

let runtime: NativeRuntime | undefined

/** Where Debian's OpenMP build of OpenBLAS lives on this machine, or null. */
export function openMpBlasDir(): string | null {
  const triplet = MULTIARCH[process.arch]
  if (process.platform !== 'linux' || !triplet) return null
  const dir = `/usr/lib/${triplet}/openblas-openmp`
  return OPENMP_BLAS_LIBS.every((l) => existsSync(join(dir, l))) ? dir : null
}

/**
 * The OpenBLAS kernel family (an OPENBLAS_CORETYPE name) for x86-64 CPU flags as /proc/cpuinfo lists them, or null
 * when they allow nothing better than the fallback.
 */
export function coreForCpuFlags(flags: ReadonlySet<string>): string | null {
  const all = (...fs: string[]): boolean => fs.every((f) => flags.has(f))
  if (all('avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl')) return 'SkylakeX'
  if (all('avx2', 'fma')) return 'Haswell'
  if (all('avx')) return 'SandyBridge'
  return null
}

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'))
    return new Set(
      line
        ? line
            .slice(line.indexOf(':') + 1)
            .trim()
            .split(/\s+/)
        : [],
    )
  } catch {
    return new Set()
  }
}

/** An OpenBLAS already mapped into this process (then the choice has been made, by whoever loaded it). */
function mappedOpenBlas(): string | null {
  try {
    const line = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .find((l) => l.includes('libopenblas'))
    return line ? line.slice(line.indexOf('/')) : null
  } catch {
    return null
  }
}

type Koffi = typeof import('koffi')
type Library = ReturnType<Koffi['load']>

function koffi(): Koffi {
  return createRequire(import.meta.url)('koffi') as Koffi
}

function loadOpenMpBlas(dir: string): { lib: Library | null; preloaded: string[]; error: string } {
  const preloaded: string[] = []
  let lib: Library | null = null
  try {
    for (const l of OPENMP_BLAS_LIBS) {
      const h = koffi().load(join(dir, l))
      lib ??= h
      preloaded.push(join(dir, l))
    }
    return { lib, preloaded, error: '' }
  } catch (e) {
    return { lib, preloaded, error: (e as Error).message.split('\n')[0] }
  }
}

/** The OpenBLAS the system resolves by soname (the one libtorch's libblas.so.3 brings), or null. */
function openSystemBlas(): Library | null {
  try {
    return koffi().load('libopenblas.so.0')
  } catch {
    return null
  }
}

/** OpenBLAS's kernel family, chosen again by instruction set where it fell back on an unknown CPU model. */
function fixCore(lib: Library, env: Record<string, string>): string | null {
  try {
    const corename = lib.func('const char *openblas_get_corename()') as () => string
    const core = corename()
    if (process.env.OPENBLAS_CORETYPE !== undefined || core.toLowerCase() !== FALLBACK_CORE.toLowerCase()) return core
    const better = process.arch === 'x64' ? coreForCpuFlags(cpuFlags()) : null
    if (!better) return core
    // Exported by DYNAMIC_ARCH builds (Debian's): forget the choice, then choose again, reading OPENBLAS_CORETYPE.
    const quit = lib.func('void gotoblas_dynamic_quit()') as () => void
    const init = lib.func('void gotoblas_dynamic_init()') as () => void
    process.env.OPENBLAS_CORETYPE = env.OPENBLAS_CORETYPE = better
    quit()
    init()
    return corename()
  } catch {
    return null
  }
}

function setUp(): NativeRuntime {
  const env: Record<string, string> = {}
  const dir = openMpBlasDir()
  const mapped = mappedOpenBlas()
  let reason = ''
  if (process.env.MLF_BLAS === 'system') reason = 'MLF_BLAS=system'
  else if (mapped && !mapped.includes('openblas-openmp')) reason = `${mapped} was already loaded`
  else if (!dir) reason = `Debian's OpenMP OpenBLAS is not installed (apt-get install libopenblas0-openmp)`
  if (!reason) {
    const r = loadOpenMpBlas(dir!)
    const blasCore = r.lib ? fixCore(r.lib, env) : null
    if (!r.error) return { blas: 'openmp', reason: '', blasCore, preloaded: r.preloaded, env }
    // A partial load already brought libgomp in with its default spin; nothing more to set.
    reason = `loading ${dir} failed: ${r.error}`
    if (r.preloaded.length > 0) return { blas: 'system', reason, blasCore, preloaded: r.preloaded, env }
  }
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) {
    process.env.GOMP_SPINCOUNT = env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT
  }
  const system = openSystemBlas()
  return { blas: 'system', reason, blasCore: system ? fixCore(system, env) : null, preloaded: [], env }
}

/** Set the runtime up (once per process; later calls return the first answer). Call before loading an engine. */
export function prepareNativeRuntime(): NativeRuntime {
  runtime ??= Object.freeze(setUp())
  return runtime
}

/** What prepareNativeRuntime set up, or null before any engine loaded. */
export function nativeRuntime(): NativeRuntime | null {
  return runtime ?? null
}
