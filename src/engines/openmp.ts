/**
 * OpenMP defaults for the native engines, applied before the first library that loads libgomp (libtorch,
 * XGBoost), which reads them once at load.
 *
 * libgomp's idle threads spin about 300,000 rounds before they sleep. libtorch's matrix products run on a second
 * pool, OpenBLAS's, so on as many cores as threads the two pools' spinning threads preempt each other: an LSTM epoch
 * at 2 threads took 23 s, four times its time at 1 (Python torch shows the same, with the same libraries). A short
 * spin brings it to about 6.5 s and leaves TCN and XGBoost training times within noise (bench/torch,
 * bench/xgboost). Only where the user set neither GOMP_SPINCOUNT nor OMP_WAIT_POLICY.
 */
export const OPENMP_SPIN_COUNT = '10000'

const applied: string[] = []

export function applyOpenMpDefaults(): void {
  if (applied.length > 0 || process.env.GOMP_SPINCOUNT !== undefined || process.env.OMP_WAIT_POLICY !== undefined) {
    return
  }
  process.env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT
  applied.push('GOMP_SPINCOUNT')
}

/** The variables applyOpenMpDefaults set (not the user): benchmarks run their peers without them. */
export function openMpDefaultsApplied(): readonly string[] {
  return applied
}
