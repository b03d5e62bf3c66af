/**
 * A minimal module system over libtorch tensors: a Module owns named parameters, buffers (non-trained state) and
 * child modules; its state dict is every tensor by dotted name in creation order. Layers are plain objects made by
 * factory functions (see layers.ts); `training` switches dropout and batch-norm behaviour.
 */
import { torch, type Tensor } from '../../engines/torch/index.js'

export interface Module {
  readonly params: Map<string, Tensor>
  readonly buffers: Map<string, Tensor>
  readonly children: Map<string, Module>
  training: boolean
}

export function createModule(): Module {
  return { params: new Map(), buffers: new Map(), children: new Map(), training: true }
}

/** A float32 parameter of `shape`, drawn uniformly from [-bound, bound] with libtorch's seeded generator. */
export function uniformParameter(m: Module, name: string, shape: number[], bound: number): Tensor {
  const p = torch().keep(torch().zeros(shape).uniform_(-bound, bound).setRequiresGrad(true))
  m.params.set(name, p)
  return p
}

export function constantParameter(m: Module, name: string, shape: number[], value: number): Tensor {
  const p = torch().keep(torch().full(shape, value).setRequiresGrad(true))
  m.params.set(name, p)
  return p
}

export function addBuffer(m: Module, name: string, t: Tensor): Tensor {
  m.buffers.set(name, torch().keep(t))
  return t
}

export function addChild<M extends Module>(m: Module, name: string, child: M): M {
  // A silent replacement would drop the first child's parameters from the state dict (and from save/load).
  if (m.children.has(name)) throw new Error(`module already has a child named "${name}"`)
  m.children.set(name, child)
  return child
}

/** Trainable parameters in state-dict order. */
export function parameters(m: Module): Tensor[] {
  return namedParameters(m).map(([, t]) => t)
}

export function namedParameters(m: Module, prefix = ''): [string, Tensor][] {
  const out: [string, Tensor][] = [...m.params].map(([k, t]) => [prefix + k, t] as [string, Tensor])
  for (const [k, c] of m.children) out.push(...namedParameters(c, `${prefix}${k}.`))
  return out
}

/** Parameters then buffers of each module, depth first: the tensors that define a trained model. */
export function stateDict(m: Module, prefix = ''): [string, Tensor][] {
  const out: [string, Tensor][] = []
  for (const [k, t] of m.params) out.push([prefix + k, t])
  for (const [k, t] of m.buffers) out.push([prefix + k, t])
  for (const [k, c] of m.children) out.push(...stateDict(c, `${prefix}${k}.`))
  return out
}

/** Copy values into the module's tensors; names and shapes must match exactly. */
export function loadStateDict(m: Module, values: ReadonlyMap<string, Tensor>): void {
  const own = stateDict(m)
  const missing = own.filter(([k]) => !values.has(k)).map(([k]) => k)
  const unexpected = [...values.keys()].filter((k) => !own.some(([o]) => o === k))
  if (missing.length || unexpected.length) {
    throw new Error(`state dict mismatch: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`)
  }
  for (const [k, t] of own) {
    const v = values.get(k)!
    if (v.shape.join(',') !== t.shape.join(',')) {
      throw new Error(`state dict: "${k}" has shape [${v.shape}], the module expects [${t.shape}]`)
    }
    t.copy_(v)
  }
}

export function setTraining(m: Module, on: boolean): void {
  m.training = on
  for (const c of m.children.values()) setTraining(c, on)
}

export function parameterCount(m: Module): number {
  return parameters(m).reduce((s, p) => s + p.numel(), 0)
}

/** Free every tensor the module owns. */
export function disposeModule(m: Module): void {
  for (const [, t] of stateDict(m)) t.dispose()
}
