import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { z } from 'zod'
import type { DataView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { classificationOutputs } from './linear/classifier.js'
import { classCount, classLabels, featureMatrix, regressionTargets, trainingMatrix } from './linear/data.js'
import { preprocessSchema, readJson, taskSchema, writeJson } from '../persist.js'
import {
  applyPreprocessor,
  fitPreprocessor,
  preprocessorFromJson,
  preprocessorToJson,
  type Preprocessor,
} from './linear/preprocess.js'

/**
 * k-nearest-neighbour retrieval in a normalized feature space: NaN imputed with train medians, then every feature
 * z-scored with train statistics (saved with the model), Euclidean distance. Classification: class probabilities
 * are the (optionally inverse-distance weighted) share of the k neighbours' labels; regression: their weighted mean.
 * Exact search up to `exact_max_rows` training rows; above that an HNSW graph (hnswlib-node, float32 distances),
 * built single-threaded in row order from the fit seed, so the same data and seed give the same graph. The graph is
 * saved with the model, so a loaded model answers exactly as the fitted one.
 */
export const knnParams = z.strictObject({
  k: z.number().int().positive().default(25).describe('Neighbours per prediction'),
  weights: z
    .enum(['uniform', 'distance'])
    .default('uniform')
    .describe('uniform, or distance: weight neighbours by inverse distance'),
  exact_max_rows: z
    .number()
    .int()
    .nonnegative()
    .default(20_000)
    .describe('Exact search up to this many training rows; an HNSW graph above'),
  hnsw_m: z.number().int().min(2).default(16).describe('HNSW graph: links per node'),
  hnsw_ef_construction: z
    .number()
    .int()
    .positive()
    .default(200)
    .describe('HNSW graph: candidate list size while building'),
  /** Candidate list size at query time (at least k is used). */
  hnsw_ef_search: z
    .number()
    .int()
    .positive()
    .default(100)
    .describe('HNSW graph: candidate list size at query time (at least k)'),
})
export type KnnParams = z.infer<typeof knnParams>

export const knnSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'knn',
  family: 'knn',
  inputView: 'feature_matrix',
  outputs: ['p', 'p_up', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: false,
})

interface HnswIndex {
  initIndex(opts: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number }): void
  addPoint(point: number[], label: number): void
  searchKnn(point: number[], k: number): { distances: number[]; neighbors: number[] }
  setEf(ef: number): void
  writeIndexSync(path: string): void
  readIndexSync(path: string): void
}
interface HnswModule {
  HierarchicalNSW: new (space: 'l2', dim: number) => HnswIndex
}

let hnswModule: HnswModule | Error | undefined
/** hnswlib-node is a native addon: load it lazily so a missing build only disables large-set search. */
function hnsw(): HnswModule {
  if (hnswModule === undefined) {
    try {
      hnswModule = createRequire(import.meta.url)('hnswlib-node') as HnswModule
    } catch (e) {
      hnswModule = e as Error
    }
  }
  if (hnswModule instanceof Error) {
    throw new Error(`knn: HNSW search needs hnswlib-node (npm install hnswlib-node): ${hnswModule.message}`)
  }
  return hnswModule
}

interface KnnState {
  readonly preprocess: Preprocessor
  /** Training targets: class index or regression value, by training row. */
  readonly targets: Float64Array
  /** Exact mode: normalized training rows (n, f). */
  readonly rows?: Float64Array
  /** HNSW mode: the graph over the normalized rows. */
  readonly index?: HnswIndex
  readonly seed: number
}

const META = 'knn.json'
const ROWS = 'knn.rows.f64'
const TARGETS = 'knn.targets.f64'
const GRAPH = 'knn.hnsw'
const FORMAT = 'mlfactory.knn'

export interface KnnModel extends Model {
  /** Neighbours of each query row: (n, k') training-row indices and squared distances, nearest first. */
  neighbours(x: DataView): { k: number; index: Int32Array; distance: Float64Array }
}

export function createKnn(params: KnnParams, task: Task, fitted?: KnnState): KnnModel {
  const classes = task.kind === 'regression' ? 0 : classCount(task)
  let state = fitted
  const need = (): KnnState => {
    if (!state) throw new Error('knn: model is not fitted')
    return state
  }

  const neighbours = (view: DataView): { k: number; index: Int32Array; distance: Float64Array } => {
    const s = need()
    const m = featureMatrix(view, 'knn')
    const q = applyPreprocessor(s.preprocess, m, 'knn')
    const f = m.f
    const nTrain = s.targets.length
    const k = Math.min(params.k, nTrain)
    const index = new Int32Array(m.n * k)
    const distance = new Float64Array(m.n * k)
    if (s.rows) {
      const rows = s.rows
      const bestD = new Float64Array(k)
      const bestI = new Int32Array(k)
      for (let i = 0; i < m.n; i++) {
        const qo = i * f
        let filled = 0
        for (let r = 0; r < nTrain; r++) {
          let d = 0
          const ro = r * f
          for (let j = 0; j < f; j++) {
            const t = q[qo + j] - rows[ro + j]
            d += t * t
          }
          if (filled === k && d >= bestD[k - 1]) continue
          // Insertion into the sorted top-k; strict comparison keeps the earlier training row on ties.
          let p = filled < k ? filled++ : k - 1
          while (p > 0 && bestD[p - 1] > d) {
            bestD[p] = bestD[p - 1]
            bestI[p] = bestI[p - 1]
            p--
          }
          bestD[p] = d
          bestI[p] = r
        }
        index.set(bestI, i * k)
        distance.set(bestD, i * k)
      }
    } else {
      const graph = s.index!
      graph.setEf(Math.max(params.hnsw_ef_search, k))
      const point = new Array<number>(f)
      for (let i = 0; i < m.n; i++) {
        for (let j = 0; j < f; j++) point[j] = q[i * f + j]
        const res = graph.searchKnn(point, k)
        const order = res.neighbors.map((_, c) => c)
        order.sort((a, b) => res.distances[a] - res.distances[b] || res.neighbors[a] - res.neighbors[b])
        for (let c = 0; c < k; c++) {
          index[i * k + c] = res.neighbors[order[c]]
          distance[i * k + c] = res.distances[order[c]]
        }
      }
    }
    return { k, index, distance }
  }

  return {
    spec: knnSpec,
    task,
    neighbours,
    async fit(train: Dataset, _val: Dataset | undefined, ctx: FitContext): Promise<void> {
      ctx.signal?.throwIfAborted()
      const m = trainingMatrix(train, 'knn')
      const targets =
        task.kind === 'regression'
          ? Float64Array.from(regressionTargets(train.y, 'knn'))
          : Float64Array.from(classLabels(train.y, classes, 'knn'))
      const { preprocess } = fitPreprocessor(m, true, 'knn')
      const rows = applyPreprocessor(preprocess, m, 'knn')
      if (m.n <= params.exact_max_rows) {
        state = { preprocess, targets, rows, seed: ctx.seed }
        return
      }
      const { HierarchicalNSW } = hnsw()
      const index = new HierarchicalNSW('l2', m.f)
      index.initIndex({
        maxElements: m.n,
        m: params.hnsw_m,
        efConstruction: params.hnsw_ef_construction,
        randomSeed: ctx.seed >>> 0,
      })
      const point = new Array<number>(m.f)
      for (let i = 0; i < m.n; i++) {
        for (let j = 0; j < m.f; j++) point[j] = rows[i * m.f + j]
        index.addPoint(point, i)
        if (i % 10_000 === 0) {
          ctx.signal?.throwIfAborted()
          ctx.progress?.update(i, m.n)
        }
      }
      state = { preprocess, targets, index, seed: ctx.seed }
    },
    predict(x: DataView): Outputs {
      const s = need()
      const { k, index, distance } = neighbours(x)
      const n = x.n
      const weightsOf = (i: number, w: Float64Array): void => {
        if (params.weights === 'uniform') return void w.fill(1)
        // Inverse distance; exact matches (distance 0) take all the weight, shared equally, as in scikit-learn.
        let exact = false
        for (let c = 0; c < k; c++) if (distance[i * k + c] === 0) exact = true
        for (let c = 0; c < k; c++) {
          const d = distance[i * k + c]
          w[c] = exact ? (d === 0 ? 1 : 0) : 1 / Math.sqrt(d)
        }
      }
      const w = new Float64Array(k)
      if (task.kind === 'regression') {
        const e = new Float64Array(n)
        for (let i = 0; i < n; i++) {
          weightsOf(i, w)
          let num = 0
          let den = 0
          for (let c = 0; c < k; c++) {
            num += w[c] * s.targets[index[i * k + c]]
            den += w[c]
          }
          e[i] = num / den
        }
        return { n, E_r: e }
      }
      const p = new Float64Array(n * classes)
      for (let i = 0; i < n; i++) {
        weightsOf(i, w)
        let den = 0
        for (let c = 0; c < k; c++) {
          p[i * classes + s.targets[index[i * k + c]]] += w[c]
          den += w[c]
        }
        for (let c = 0; c < classes; c++) p[i * classes + c] /= den
      }
      return classificationOutputs(n, classes, p, task)
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const s = need()
      const files = [META, TARGETS]
      await writeJson(dir, META, {
        format: FORMAT,
        version: 1,
        params,
        task,
        preprocess: preprocessorToJson(s.preprocess),
        mode: s.rows ? 'exact' : 'hnsw',
        n: s.targets.length,
        seed: s.seed,
      })
      await writeFile(join(dir, TARGETS), f64Bytes(s.targets))
      if (s.rows) {
        await writeFile(join(dir, ROWS), f64Bytes(s.rows))
        files.push(ROWS)
      } else {
        s.index!.writeIndexSync(join(dir, GRAPH))
        files.push(GRAPH)
      }
      return { files }
    },
  }
}

/** Little-endian float64 bytes (the platforms Node supports here are little-endian). */
function f64Bytes(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

async function readF64(path: string, expected: number): Promise<Float64Array> {
  const bytes = await readFile(path)
  if (bytes.byteLength !== expected * 8) {
    throw new Error(`${path}: has ${bytes.byteLength} bytes, expected ${expected} float64 values`)
  }
  const out = new Float64Array(expected)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

const metaSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  params: knnParams,
  task: taskSchema,
  preprocess: preprocessSchema,
  mode: z.enum(['exact', 'hnsw']),
  n: z.number().int().positive(),
  seed: z.number(),
})

export async function loadKnn(dir: string): Promise<KnnModel> {
  const meta = await readJson(dir, META, metaSchema)
  const preprocess = preprocessorFromJson(meta.preprocess, join(dir, META))
  const f = preprocess.medians.length
  const targets = await readF64(join(dir, TARGETS), meta.n)
  if (meta.mode === 'exact') {
    const rows = await readF64(join(dir, ROWS), meta.n * f)
    return createKnn(meta.params, meta.task, { preprocess, targets, rows, seed: meta.seed })
  }
  const index = new (hnsw().HierarchicalNSW)('l2', f)
  index.readIndexSync(join(dir, GRAPH))
  return createKnn(meta.params, meta.task, { preprocess, targets, index, seed: meta.seed })
}

export const knnEntry: ModelEntry<KnnParams> = {
  spec: knnSpec,
  params: knnParams,
  // Exact search always works; only HNSW (training sets above exact_max_rows) needs the native addon.
  available: () => ({ ok: true }),
  create: (params, task) => createKnn(params, task),
  load: loadKnn,
}
