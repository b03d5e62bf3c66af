/**
 * The training loop shared by every neural model: shuffled mini-batches, optimizer with gradient clipping and an LR
 * schedule, early stopping on validation loss (patience, min delta) with best-checkpoint restore, resumable
 * per-epoch checkpoints, progress reporting and abort. Every step runs in a tensor scope, so memory stays flat.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { noGrad, tidy, torch, type Tensor } from '../../engines/torch/index.js'
import type { ProgressSink } from '../contract.js'
import { epochPermutation } from './data.js'
import { namedParameters, parameters, setTraining, stateDict, loadStateDict, type Module } from './nn.js'
import { loadTensors, saveTensors, tensorsExist } from './weights.js'

export interface LoopOptions {
  readonly epochs: number
  readonly batchSize: number
  readonly lr: number
  readonly optimizer: 'adam' | 'adamw' | 'sgd'
  readonly weightDecay: number
  readonly momentum: number
  /** Max joint L2 norm of gradients; 0 disables clipping. */
  readonly clipNorm: number
  readonly schedule: 'constant' | 'cosine'
  /** Linear LR warm-up over this many steps. */
  readonly warmupSteps: number
  /** Epochs without a validation improvement larger than minDelta before stopping; 0 disables early stopping. */
  readonly patience: number
  readonly minDelta: number
  readonly seed: number
  /** Where per-epoch checkpoints go; training resumes from them when they match this run. */
  readonly checkpointDir?: string
  readonly progress?: ProgressSink
  readonly signal?: AbortSignal
}

/** Training data as far as the loop is concerned: n samples and a way to build the tensors of some of them. */
export interface LoopData {
  readonly n: number
  /** Inputs, targets and optional weights of samples idx[from..to). */
  batch(idx: Int32Array, from: number, to: number): { x: Tensor; y: Tensor; w?: Tensor }
}

export type LossFn = (out: Tensor, y: Tensor, w?: Tensor) => Tensor

export interface EpochRecord {
  readonly epoch: number
  readonly trainLoss: number
  readonly valLoss: number | null
  readonly lr: number
}

export interface LoopResult {
  readonly history: readonly EpochRecord[]
  readonly bestEpoch: number
  readonly bestValLoss: number | null
  readonly stoppedEarly: boolean
  readonly resumedFrom: number
}

interface LoopState {
  readonly fingerprint: string
  readonly epoch: number
  readonly bestValLoss: number | null
  readonly bestEpoch: number
  readonly wait: number
  readonly history: EpochRecord[]
}

function scheduledLr(o: LoopOptions, step: number, totalSteps: number): number {
  const warm = o.warmupSteps > 0 && step < o.warmupSteps ? (step + 1) / o.warmupSteps : 1
  const decay = o.schedule === 'cosine' ? 0.5 * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps)) : 1
  return o.lr * warm * decay
}

/** Mean loss over a data set, in eval mode without gradients. */
export function evaluateLoss(
  net: Module,
  forward: (x: Tensor) => Tensor,
  loss: LossFn,
  data: LoopData,
  batchSize: number,
): number {
  const wasTraining = net.training
  setTraining(net, false)
  const idx = Int32Array.from({ length: data.n }, (_, i) => i)
  let total = 0
  try {
    noGrad(() => {
      for (let s = 0; s < data.n; s += batchSize) {
        const e = Math.min(data.n, s + batchSize)
        total += tidy(() => {
          const b = data.batch(idx, s, e)
          return loss(forward(b.x), b.y, b.w).item() * (e - s)
        })
      }
    })
  } finally {
    setTraining(net, wasTraining)
  }
  return total / Math.max(1, data.n)
}

function abortError(): Error {
  const e = new Error('training aborted')
  e.name = 'AbortError'
  return e
}

/** Train `net` in place. On return the parameters are the best validation epoch's (or the last epoch's, without val). */
export async function trainLoop(
  net: Module,
  forward: (x: Tensor) => Tensor,
  loss: LossFn,
  train: LoopData,
  val: LoopData | undefined,
  o: LoopOptions,
): Promise<LoopResult> {
  const t = torch()
  if (train.n === 0) throw new Error('training set is empty')
  const params = parameters(net)
  const opt = t.optimizerCreate(o.optimizer, params, { lr: o.lr, weightDecay: o.weightDecay, momentum: o.momentum })
  const stepsPerEpoch = Math.ceil(train.n / o.batchSize)
  const totalSteps = stepsPerEpoch * o.epochs
  const fingerprint = JSON.stringify({
    params: namedParameters(net).map(([k, p]) => `${k}:${p.shape.join('x')}`),
    n: train.n,
    nVal: val?.n ?? 0,
    o: { ...o, checkpointDir: undefined, progress: undefined, signal: undefined },
  })

  let state: LoopState = { fingerprint, epoch: 0, bestValLoss: null, bestEpoch: 0, wait: 0, history: [] }
  let best: Map<string, Tensor> | null = null
  const ckpt = o.checkpointDir
  if (ckpt && existsSync(join(ckpt, 'loop.json'))) {
    const saved = JSON.parse(readFileSync(join(ckpt, 'loop.json'), 'utf8')) as LoopState
    if (saved.fingerprint === fingerprint) {
      state = saved
      loadStateDict(net, loadTensors(ckpt, 'last'))
      t.optimizerLoad(opt, join(ckpt, 'optimizer.pt'))
      const rngState = loadTensors(ckpt, 'rng').get('cpu')!
      t.setRngState(rngState)
      rngState.dispose()
      if (tensorsExist(ckpt, 'best')) best = loadTensors(ckpt, 'best')
    }
  }
  const resumedFrom = state.epoch
  let stoppedEarly = false

  const snapshotBest = (): void => {
    if (best) for (const x of best.values()) x.dispose()
    best = new Map(stateDict(net).map(([k, p]) => [k, t.keep(p.detach().clone())]))
  }

  try {
    for (let epoch = state.epoch + 1; epoch <= o.epochs; epoch++) {
      setTraining(net, true)
      const perm = epochPermutation(train.n, o.seed, epoch)
      let lossSum = 0
      let lr = o.lr
      for (let s = 0, step = (epoch - 1) * stepsPerEpoch; s < train.n; s += o.batchSize, step++) {
        // Yield now and then: Node runs native finalizers (dropped tensor wrappers) and abort handlers from the loop.
        if (step % 32 === 31) await yieldToEventLoop()
        if (o.signal?.aborted) throw abortError()
        const e = Math.min(train.n, s + o.batchSize)
        lr = scheduledLr(o, step, totalSteps)
        t.optimizerSetLr(opt, lr)
        lossSum += tidy(() => {
          // The forward pass in a scope of its own that keeps only the loss: autograd holds what backward needs and
          // frees each saved tensor once its node has run (as in PyTorch), so the gradients reuse that memory
          // instead of new pages.
          const l = tidy(() => {
            const b = train.batch(perm, s, e)
            return loss(forward(b.x), b.y, b.w)
          })
          t.optimizerZeroGrad(opt)
          l.backward()
          if (o.clipNorm > 0) t.clipGradNorm(params, o.clipNorm)
          t.optimizerStep(opt)
          return l.item() * (e - s)
        })
      }
      const trainLoss = lossSum / train.n
      if (!Number.isFinite(trainLoss))
        throw new Error(`training diverged at epoch ${epoch} (loss ${trainLoss}); lower lr or enable clipNorm`)
      const valLoss = val && val.n > 0 ? evaluateLoss(net, forward, loss, val, o.batchSize) : null
      let { bestValLoss, bestEpoch, wait } = state
      if (valLoss !== null) {
        if (bestValLoss === null || valLoss < bestValLoss - o.minDelta) {
          bestValLoss = valLoss
          bestEpoch = epoch
          wait = 0
          snapshotBest()
        } else {
          wait++
        }
      }
      state = {
        fingerprint,
        epoch,
        bestValLoss,
        bestEpoch,
        wait,
        history: [...state.history, { epoch, trainLoss, valLoss, lr }],
      }
      if (ckpt) writeCheckpoint(ckpt, net, opt, best, state)
      o.progress?.update(epoch, o.epochs, { unit: 'epoch', trainLoss, ...(valLoss !== null ? { valLoss } : {}) })
      await yieldToEventLoop()
      if (o.patience > 0 && valLoss !== null && wait >= o.patience) {
        stoppedEarly = true
        break
      }
    }
    if (best) loadStateDict(net, best)
  } finally {
    if (best) for (const x of (best as Map<string, Tensor>).values()) x.dispose()
    setTraining(net, false)
    // The blocks cached for the steps' repeated shapes go back to the system (native/torch/src/allocator.cc).
    t.emptyCache()
  }
  return {
    history: state.history,
    bestEpoch: state.bestEpoch,
    bestValLoss: state.bestValLoss,
    stoppedEarly,
    resumedFrom,
  }
}

function writeCheckpoint(
  dir: string,
  net: Module,
  opt: ReturnType<ReturnType<typeof torch>['optimizerCreate']>,
  best: Map<string, Tensor> | null,
  s: LoopState,
): void {
  const t = torch()
  mkdirSync(dir, { recursive: true })
  saveTensors(dir, 'last', stateDict(net))
  if (best) saveTensors(dir, 'best', [...best])
  t.optimizerSave(opt, join(dir, 'optimizer.pt'))
  tidy(() => saveTensors(dir, 'rng', [['cpu', t.getRngState()]]))
  // loop.json last: its presence marks a complete checkpoint.
  writeFileSync(join(dir, 'loop.json'), JSON.stringify(s) + '\n')
}
