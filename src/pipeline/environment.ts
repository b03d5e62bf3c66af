import { arch, cpus, platform, release } from 'node:os'
import { nativeRuntime } from '../engines/native-runtime.js'
import { loadedLibtorchVersion } from '../engines/torch/index.js'
import { loadedXgboostVersion } from '../engines/xgboost/index.js'
import type { RunEnvironment } from '../tracking/types.js'

/**
 * What this process ran on, recorded with every run: the same seed and threads give the same results only on the
 * same engines, and matrix products differ in their last bits between OpenBLAS kernel families. Engines are listed
 * only where this process has loaded them (by the end of the run).
 */
export function runEnvironment(): RunEnvironment {
  const cpu = cpus()
  const engines: Record<string, string> = {}
  const torch = loadedLibtorchVersion()
  if (torch) engines.libtorch = torch
  const xgboost = loadedXgboostVersion()
  if (xgboost) engines.xgboost = xgboost
  const rt = nativeRuntime()
  if (rt?.blasCore) engines.openblas = `${rt.blas} build, ${rt.blasCore} kernels`
  return {
    node: process.version,
    platform: `${platform()} ${arch()} ${release()}`,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    engines,
    engineEnv: { ...(rt?.env ?? {}) },
  }
}
