import { torch } from './loader.js'
import type { Tensor } from './types.js'

/** Collect every tensor reachable in a returned value (tensor, array or plain object of them). */
function tensorsIn(value: unknown, out: Tensor[], isTensor: (v: unknown) => boolean): void {
  if (value === null || typeof value !== 'object') return
  if (isTensor(value)) {
    out.push(value as Tensor)
  } else if (Array.isArray(value)) {
    for (const v of value) tensorsIn(v, out, isTensor)
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) tensorsIn(v, out, isTensor)
  }
}

/**
 * Run `fn` in a scope: every tensor created inside is freed when it returns, except the tensors in its result
 * (which belong to the enclosing scope). Synchronous only, so scopes nest strictly.
 */
export function tidy<T>(fn: () => T): T {
  const t = torch()
  const Ctor = (t as unknown as { Tensor: new () => Tensor }).Tensor
  t.scopeBegin()
  let result: T
  try {
    result = fn()
  } catch (e) {
    t.scopeEnd([])
    throw e
  }
  const keep: Tensor[] = []
  tensorsIn(result, keep, (v) => v instanceof Ctor)
  t.scopeEnd(keep)
  return result
}

/** Run `fn` with autograd recording off (inference, parameter updates). */
export function noGrad<T>(fn: () => T): T {
  const t = torch()
  const prev = t.setGradEnabled(false)
  try {
    return fn()
  } finally {
    t.setGradEnabled(prev)
  }
}

/** Dispose every tensor given (ignores already-disposed ones). */
export function disposeAll(ts: Iterable<Tensor>): void {
  for (const x of ts) if (!x.isDisposed()) x.dispose()
}
