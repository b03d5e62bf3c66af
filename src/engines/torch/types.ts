/** Types of the native libtorch binding (`native/torch`). Shapes are plain number arrays; dims may be negative. */

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool'
export type Reduction = 'mean' | 'sum' | 'none'
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : Uint8Array

/** A libtorch tensor. Methods return new tensors (registered in the innermost open scope) unless named with `_`. */
export interface Tensor {
  readonly shape: number[]
  readonly dtype: DType
  readonly device: string
  readonly requiresGrad: boolean
  /** The accumulated gradient, or null when none has been computed. */
  readonly grad: Tensor | null
  numel(): number
  /** Free the storage now; later use of this tensor throws. */
  dispose(): void
  isDisposed(): boolean
  setRequiresGrad(on?: boolean): Tensor
  zeroGrad(): void
  backward(gradient?: Tensor, retainGraph?: boolean): void
  /** Copy to a typed array (float32 -> Float32Array, float64 -> Float64Array, int64 -> BigInt64Array, uint8/bool -> Uint8Array). */
  toArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array
  item(): number
  detach(): Tensor
  clone(): Tensor
  contiguous(): Tensor
  to(dtypeOrDevice: DType | string): Tensor
  copy_(src: Tensor): Tensor
  fill_(v: number): Tensor
  uniform_(lo: number, hi: number): Tensor
  normal_(mean?: number, std?: number): Tensor

  add(o: Tensor | number): Tensor
  sub(o: Tensor | number): Tensor
  mul(o: Tensor | number): Tensor
  div(o: Tensor | number): Tensor
  pow(o: Tensor | number): Tensor
  maximum(o: Tensor | number): Tensor
  minimum(o: Tensor | number): Tensor
  /** Comparisons return 0/1 in the receiver's dtype. */
  gt(o: Tensor | number): Tensor
  lt(o: Tensor | number): Tensor
  ge(o: Tensor | number): Tensor
  le(o: Tensor | number): Tensor
  eq(o: Tensor | number): Tensor
  matmul(o: Tensor): Tensor
  bmm(o: Tensor): Tensor

  neg(): Tensor
  exp(): Tensor
  log(): Tensor
  log1p(): Tensor
  sqrt(): Tensor
  abs(): Tensor
  square(): Tensor
  reciprocal(): Tensor
  sign(): Tensor
  tanh(): Tensor
  sigmoid(): Tensor
  relu(): Tensor
  gelu(): Tensor
  silu(): Tensor
  softplus(): Tensor
  elu(): Tensor
  lgamma(): Tensor
  leakyRelu(slope?: number): Tensor
  clamp(min: number | null, max?: number | null): Tensor

  sum(dims?: number | number[], keepdim?: boolean): Tensor
  mean(dims?: number | number[], keepdim?: boolean): Tensor
  var(dims?: number | number[], unbiased?: boolean, keepdim?: boolean): Tensor
  logsumexp(dims?: number | number[], keepdim?: boolean): Tensor
  max(dim?: number, keepdim?: boolean): Tensor
  min(dim?: number, keepdim?: boolean): Tensor
  argmax(dim: number, keepdim?: boolean): Tensor
  norm(p?: number): Tensor

  reshape(shape: number[]): Tensor
  transpose(d0: number, d1: number): Tensor
  permute(dims: number[]): Tensor
  squeeze(dim?: number): Tensor
  unsqueeze(dim: number): Tensor
  flatten(start?: number, end?: number): Tensor
  narrow(dim: number, start: number, length: number): Tensor
  select(dim: number, index: number): Tensor
  indexSelect(dim: number, index: Tensor): Tensor
  gather(dim: number, index: Tensor): Tensor
  expand(shape: number[]): Tensor
  repeat(times: number[]): Tensor
  flip(dims: number[]): Tensor
  /** Constant padding, last dimension first: [left, right, top, bottom, ...]. */
  pad(pads: number[], value?: number): Tensor
  chunk(chunks: number, dim?: number): Tensor[]
}

/** Opaque optimizer handle (owned by libtorch; freed when garbage-collected). */
export type OptimizerHandle = object & { readonly __optimizer: unique symbol }

export interface OptimizerOptions {
  lr?: number
  beta1?: number
  beta2?: number
  eps?: number
  weightDecay?: number
  momentum?: number
  dampening?: number
  nesterov?: boolean
}

export interface TorchBinding {
  readonly libtorchVersion: string
  tensor(
    data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array,
    shape?: number[],
    dtype?: DType,
    device?: string,
  ): Tensor
  zeros(shape: number[], dtype?: DType, device?: string): Tensor
  ones(shape: number[], dtype?: DType, device?: string): Tensor
  full(shape: number[], value: number, dtype?: DType, device?: string): Tensor
  randn(shape: number[], dtype?: DType, device?: string): Tensor
  rand(shape: number[], dtype?: DType, device?: string): Tensor
  arange(n: number, dtype?: DType): Tensor
  cat(ts: Tensor[], dim?: number): Tensor
  stack(ts: Tensor[], dim?: number): Tensor
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor

  linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor
  conv1d(
    x: Tensor,
    w: Tensor,
    b?: Tensor | null,
    stride?: number,
    padding?: number,
    dilation?: number,
    groups?: number,
  ): Tensor
  lstm(
    x: Tensor,
    hx: [Tensor, Tensor] | null,
    params: Tensor[],
    hasBiases: boolean,
    layers: number,
    dropout: number,
    train: boolean,
    bidirectional: boolean,
    batchFirst: boolean,
  ): [Tensor, Tensor, Tensor]
  gru(
    x: Tensor,
    h0: Tensor | null,
    params: Tensor[],
    hasBiases: boolean,
    layers: number,
    dropout: number,
    train: boolean,
    bidirectional: boolean,
    batchFirst: boolean,
  ): [Tensor, Tensor]
  layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps?: number): Tensor
  batchNorm(
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    training: boolean,
    momentum?: number,
    eps?: number,
  ): Tensor
  dropout(x: Tensor, p: number, train: boolean): Tensor
  softmax(x: Tensor, dim?: number): Tensor
  logSoftmax(x: Tensor, dim?: number): Tensor
  embedding(weight: Tensor, indices: Tensor): Tensor
  attention(q: Tensor, k: Tensor, v: Tensor, causal?: boolean, dropout?: number, train?: boolean): Tensor

  bceWithLogits(logits: Tensor, target: Tensor, weight?: Tensor | null, reduction?: Reduction): Tensor
  crossEntropy(
    logits: Tensor,
    target: Tensor,
    weight?: Tensor | null,
    reduction?: Reduction,
    labelSmoothing?: number,
  ): Tensor
  mse(pred: Tensor, target: Tensor, reduction?: Reduction): Tensor
  pinball(pred: Tensor, target: Tensor, quantiles: number[], reduction?: Reduction): Tensor
  gaussianNll(mu: Tensor, logVar: Tensor, target: Tensor, reduction?: Reduction): Tensor
  studentTNll(mu: Tensor, logScale: Tensor, df: Tensor, target: Tensor, reduction?: Reduction): Tensor

  optimizerCreate(kind: 'adam' | 'adamw' | 'sgd', params: Tensor[], options?: OptimizerOptions): OptimizerHandle
  optimizerStep(o: OptimizerHandle): void
  optimizerZeroGrad(o: OptimizerHandle): void
  optimizerSetLr(o: OptimizerHandle, lr: number): void
  optimizerGetLr(o: OptimizerHandle): number
  optimizerSave(o: OptimizerHandle, path: string): void
  optimizerLoad(o: OptimizerHandle, path: string): void
  clipGradNorm(params: Tensor[], maxNorm: number): number

  scopeBegin(): number
  scopeEnd(keep?: Tensor[]): void
  scopeDepth(): number
  /** Exempt a tensor from every scope (parameters, long-lived state). */
  keep<T extends Tensor>(t: T): T
  /**
   * Tensor wrappers whose native slot still exists (for leak tests). A disposed tensor's storage is freed at once,
   * but its slot lives until V8 collects the wrapper, so this counts wrappers not yet collected.
   */
  liveTensors(): number
  /**
   * Return the cached large tensor blocks to the system (bytes freed). Blocks of 256 KiB and more are mapped and,
   * once released, cached by size for the next tensor of that size (native/torch/src/allocator.cc).
   */
  emptyCache(): number
  /** Bytes of released tensor blocks held for reuse. */
  cachedBytes(): number
  setGradEnabled(on: boolean): boolean
  isGradEnabled(): boolean
  manualSeed(seed: number): void
  getRngState(): Tensor
  setRngState(state: Tensor): void
  /** Intra-op threads, and the BLAS's own pool where it has one (OpenBLAS): n cores at most. */
  setNumThreads(n: number): void
  getNumThreads(): number
  /** OpenBLAS's thread count; null when the BLAS is not OpenBLAS. */
  blasThreads(): number | null
  setDeterministic(on: boolean): void
  cudaAvailable(): boolean
}
