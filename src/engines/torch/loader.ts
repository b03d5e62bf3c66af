import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Availability } from '../../models/contract.js'
import { prepareNativeRuntime } from '../native-runtime.js'
import type { TorchBinding } from './types.js'

export const TORCH_INSTALL_HINT = 'sudo apt-get install libtorch-dev && npm run build:native'

/** Repository root: this file runs from dist/src/engines/torch/. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
export const ADDON_PATH = resolve(repoRoot, 'native', 'torch', 'build', 'Release', 'mlf_torch.node')

let cached: { binding: TorchBinding } | { error: string } | undefined

// Getters on the native prototype so tensors read like PyTorch's (t.shape, t.grad).
function addAccessors(b: TorchBinding): void {
  const proto = (b as unknown as { Tensor: { prototype: Record<string, () => unknown> } }).Tensor.prototype
  const props: [string, string][] = [
    ['shape', '_shape'],
    ['dtype', '_dtype'],
    ['device', '_device'],
    ['requiresGrad', '_requiresGrad'],
    ['grad', '_grad'],
  ]
  for (const [name, method] of props) {
    const fn = proto[method]
    Object.defineProperty(proto, name, { get: fn, configurable: true })
  }
}

/** Load the addon once; failures (not built, libtorch missing) are remembered, never thrown at import. */
function load(): { binding: TorchBinding } | { error: string } {
  if (cached) return cached
  if (!existsSync(ADDON_PATH)) {
    cached = { error: `the libtorch addon is not built (${ADDON_PATH} is missing)` }
    return cached
  }
  try {
    prepareNativeRuntime()
    const binding = createRequire(import.meta.url)(ADDON_PATH) as TorchBinding
    addAccessors(binding)
    cached = { binding }
  } catch (e) {
    cached = { error: `the libtorch addon failed to load: ${(e as Error).message.split('\n')[0]}` }
  }
  return cached
}

/** libtorch's version where this process has loaded it, else null (never loads it). */
export function loadedLibtorchVersion(): string | null {
  return cached && 'binding' in cached ? cached.binding.libtorchVersion : null
}

export function torchAvailability(): Availability {
  const r = load()
  return 'binding' in r ? { ok: true } : { ok: false, hint: TORCH_INSTALL_HINT }
}

/** Why the engine is unavailable (empty string when it is available). */
export function torchUnavailableReason(): string {
  const r = load()
  return 'binding' in r ? '' : `${r.error}; ${TORCH_INSTALL_HINT}`
}

/** The native binding; throws with the install hint when it cannot be loaded. */
export function torch(): TorchBinding {
  const r = load()
  if ('error' in r) throw new Error(`${r.error}; install with: ${TORCH_INSTALL_HINT}`)
  return r.binding
}
