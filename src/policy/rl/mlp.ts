/**
 * A trained policy network as plain numbers, and its forward pass in TypeScript: what a bundle would carry to score
 * without libtorch, and the one function that turns observations into positions (validation, test and scoring).
 */

export interface DenseLayer {
  readonly inputs: number
  readonly outputs: number
  /** (outputs, inputs) row-major, as libtorch's linear weight. */
  readonly weight: readonly number[]
  readonly bias: readonly number[]
}

/**
 * Hidden layers with tanh, then either one output squashed by tanh into a position in [-1, 1], or (with `sizes`)
 * one value per discrete size, the position being the size of the largest value.
 */
export interface PolicyNetwork {
  readonly layers: readonly DenseLayer[]
  /** The discrete positions a value-based policy (DQN) chooses between, one per output. */
  readonly sizes?: readonly number[]
  /** The observation scaler fitted on training rows (feature columns; the held position is not scaled). */
  readonly center: readonly number[]
  readonly spread: readonly number[]
}

/** The deterministic position for one observation: the squashed mean, or the size of the largest value. */
export function policyPosition(net: PolicyNetwork, obs: ArrayLike<number>): number {
  let x: ArrayLike<number> = obs
  const last = net.layers.length - 1
  net.layers.forEach((layer, l) => {
    const y = new Float64Array(layer.outputs)
    const squash = l < last || !net.sizes
    for (let o = 0; o < layer.outputs; o++) {
      let s = layer.bias[o]
      const row = o * layer.inputs
      for (let i = 0; i < layer.inputs; i++) s += layer.weight[row + i] * x[i]
      y[o] = squash ? Math.tanh(s) : s
    }
    x = y
  })
  if (!net.sizes) return x[0]
  let best = 0
  for (let k = 1; k < x.length; k++) if (x[k] > x[best]) best = k
  return net.sizes[best]
}
