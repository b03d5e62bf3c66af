/**
 * A trained policy network as plain numbers, and its forward pass in TypeScript: a bundle scores with it without
 * libtorch, and the run decides its positions through the same function, so `mlf predict` reproduces them.
 */

export interface DenseLayer {
  readonly inputs: number
  readonly outputs: number
  /** (outputs, inputs) row-major, as libtorch's linear weight. */
  readonly weight: readonly number[]
  readonly bias: readonly number[]
}

/** Hidden layers with tanh, then a linear output squashed by tanh into a position in [-1, 1]. */
export interface PolicyNetwork {
  readonly layers: readonly DenseLayer[]
  /** The observation scaler fitted on training rows (feature columns; the held position is not scaled). */
  readonly center: readonly number[]
  readonly spread: readonly number[]
}

/** The deterministic position (the Gaussian's mean) for one observation. */
export function policyMean(net: PolicyNetwork, obs: ArrayLike<number>): number {
  let x: ArrayLike<number> = obs
  for (const layer of net.layers) {
    const y = new Float64Array(layer.outputs)
    for (let o = 0; o < layer.outputs; o++) {
      let s = layer.bias[o]
      const row = o * layer.inputs
      for (let i = 0; i < layer.inputs; i++) s += layer.weight[row + i] * x[i]
      y[o] = Math.tanh(s)
    }
    x = y
  }
  return x[0]
}
