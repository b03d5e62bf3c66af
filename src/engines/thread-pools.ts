/**
 * The native engines' thread pools, set up once before the first library that loads libgomp (libtorch, XGBoost),
 * which reads its settings at load.
 *
 * libtorch runs its own loops on OpenMP and its matrix products on OpenBLAS. Debian's default OpenBLAS build keeps a
 * pthread pool of its own, and on as many cores as threads the idle threads of the two pools spin and preempt each
 * other: an LSTM epoch at 2 threads took 23 s, four times its time at 1 (Python torch shows the same, with the same
 * libraries). Where Debian's OpenMP build of OpenBLAS is installed (libopenblas0-openmp; scripts/setup.sh installs
 * it), it is loaded first, so libtorch binds to it by soname and OpenBLAS runs on libgomp's pool: one pool, whose
 * default spin suits short ops (TCN). Elsewhere libgomp's idle spin is shortened instead (GOMP_SPINCOUNT=10000),
 * which rescues the LSTM but costs a TCN epoch a few percent. A spin the user set (GOMP_SPINCOUNT, OMP_WAIT_POLICY)
 * is left alone, and MLF_BLAS=system keeps the system's OpenBLAS.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export const OPENMP_SPIN_COUNT = '10000'

/** libopenblas first: the other two are thin interfaces over it and must come from the same build. */
const OPENMP_BLAS_LIBS = ['libopenblas.so.0', 'libblas.so.3', 'liblapack.so.3'] as const

const MULTIARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
}

export interface ThreadPools {
  /** Which OpenBLAS the engines run on: Debian's OpenMP build (one pool) or whatever the system resolves. */
  readonly blas: 'openmp' | 'system'
  /** Why `blas` is 'system' (empty when it is 'openmp'). */
  readonly reason: string
  /** Libraries loaded ahead of the engines, in order. */
  readonly preloaded: readonly string[]
  /** Environment variables set here, not by the user. */
  readonly env: Readonly<Record<string, string>>
}

let pools: ThreadPools | undefined

/** Where Debian's OpenMP build of OpenBLAS lives on this machine, or null. */
export function openMpBlasDir(): string | null {
  const triplet = MULTIARCH[process.arch]
  if (process.platform !== 'linux' || !triplet) return null
  const dir = `/usr/lib/${triplet}/openblas-openmp`
  return OPENMP_BLAS_LIBS.every((l) => existsSync(join(dir, l))) ? dir : null
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

function loadOpenMpBlas(dir: string): { preloaded: string[]; error: string } {
  const preloaded: string[] = []
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi')
    for (const l of OPENMP_BLAS_LIBS) {
      koffi.load(join(dir, l))
      preloaded.push(join(dir, l))
    }
    return { preloaded, error: '' }
  } catch (e) {
    return { preloaded, error: (e as Error).message.split('\n')[0] }
  }
}

function choose(): ThreadPools {
  const dir = openMpBlasDir()
  const mapped = mappedOpenBlas()
  let reason = ''
  if (process.env.MLF_BLAS === 'system') reason = 'MLF_BLAS=system'
  else if (mapped && !mapped.includes('openblas-openmp')) reason = `${mapped} was already loaded`
  else if (!dir) reason = `Debian's OpenMP OpenBLAS is not installed (apt-get install libopenblas0-openmp)`
  if (!reason) {
    const r = loadOpenMpBlas(dir!)
    if (!r.error) return { blas: 'openmp', reason: '', preloaded: r.preloaded, env: {} }
    reason = `loading ${dir} failed: ${r.error}`
    // A partial load already brought libgomp in with its default spin; nothing more to set.
    if (r.preloaded.length > 0) return { blas: 'system', reason, preloaded: r.preloaded, env: {} }
  }
  const env: Record<string, string> = {}
  if (process.env.GOMP_SPINCOUNT === undefined && process.env.OMP_WAIT_POLICY === undefined) {
    process.env.GOMP_SPINCOUNT = env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT
  }
  return { blas: 'system', reason, preloaded: [], env }
}

/** Set the pools up (once per process; later calls return the first answer). Call before loading an engine. */
export function prepareThreadPools(): ThreadPools {
  pools ??= Object.freeze(choose())
  return pools
}

/** What prepareThreadPools chose, or null before any engine loaded. */
export function threadPools(): ThreadPools | null {
  return pools ?? null
}
