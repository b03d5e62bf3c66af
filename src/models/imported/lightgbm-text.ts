/**
 * LightGBM text models (`model.save_model()` / `*.txt`), parsed and evaluated in TypeScript: numerical and
 * categorical splits with LightGBM's missing-value rules, multi-class softmax, binary sigmoid, log-link regression
 * (poisson, gamma, tweedie), and average_output (random-forest mode). Scores are accumulated in float64 in tree order,
 * as LightGBM does, so predictions match it to the last bits.
 *
 * Random forests changed meaning in LightGBM 2.2.3 (commit cba8244, #1906): before it, RF trees were grown on the
 * labels (or had the objective's transform applied to every leaf) and Predict averaged the leaves with no transform;
 * from 2.2.3 on, leaves are raw scores and Predict applies the transform after averaging. Files written before 2.0.12
 * have no `version=` line, 2.0.12 to 2.2.3 write `version=v2`, 2.3.0 to 3.3.x v3 and 4.0 on v4, so v2 alone cannot
 * tell 2.2.3 from its predecessors: a v2 forest whose leaves leave the transform's output range can only be 2.2.3's.
 */

export interface LgbTree {
  readonly numLeaves: number
  readonly splitFeature: Int32Array
  readonly threshold: Float64Array
  readonly decisionType: Uint8Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly leafValue: Float64Array
  readonly catBoundaries: Int32Array
  readonly catThreshold: Uint32Array
}

export type LgbTransform =
  | { readonly kind: 'identity' }
  | { readonly kind: 'sigmoid'; readonly scale: number }
  | { readonly kind: 'softmax' }
  | { readonly kind: 'exp' }
  | { readonly kind: 'square' }

export interface LgbModel {
  readonly objective: string
  readonly numClass: number
  readonly treesPerIteration: number
  readonly maxFeatureIdx: number
  readonly featureNames: readonly string[]
  readonly averageOutput: boolean
  /** A random forest written before LightGBM 2.2.3: its leaves already are outputs, averaged with no transform. */
  readonly leavesAreOutputs: boolean
  readonly transform: LgbTransform
  readonly trees: readonly LgbTree[]
}

// Bits of LightGBM's decision_type byte.
const CATEGORICAL = 1
const DEFAULT_LEFT = 2
const MISSING_ZERO = 1
const MISSING_NAN = 2
const ZERO_THRESHOLD = 1e-35

function fail(file: string, where: string, msg: string): never {
  throw new Error(`${file}: ${where}: ${msg}`)
}

function numbers(file: string, where: string, text: string | undefined, expected: number): number[] {
  if (expected === 0) return []
  if (text === undefined) fail(file, where, 'field is missing')
  const parts = text.trim().split(/\s+/)
  if (parts.length !== expected) fail(file, where, `has ${parts.length} values, expected ${expected}`)
  return parts.map((p, i) => {
    const v = Number(p)
    if (Number.isNaN(v) && p !== 'nan') fail(file, `${where}[${i}]`, `"${p}" is not a number`)
    return v
  })
}

function transformOf(file: string, objective: string): LgbTransform {
  const [name, ...opts] = objective.trim().split(/\s+/)
  const opt = (key: string): string | undefined =>
    opts.find((o) => o.startsWith(`${key}:`))?.slice(key.length + 1) ?? (opts.includes(key) ? '' : undefined)
  switch (name) {
    case 'binary':
      return { kind: 'sigmoid', scale: Number(opt('sigmoid') ?? 1) }
    case 'cross_entropy':
    case 'xentropy':
      return { kind: 'sigmoid', scale: 1 }
    case 'multiclass':
    case 'softmax':
      return { kind: 'softmax' }
    case 'poisson':
    case 'gamma':
    case 'tweedie':
      return { kind: 'exp' }
    case 'regression':
    case 'regression_l2':
    case 'l2':
    case 'mean_squared_error':
    case 'mse':
      return opt('sqrt') !== undefined ? { kind: 'square' } : { kind: 'identity' }
    case 'regression_l1':
    case 'l1':
    case 'huber':
    case 'fair':
    case 'quantile':
    case 'mape':
      return { kind: 'identity' }
    default:
      fail(
        file,
        'objective',
        `"${objective}" is not supported (binary, multiclass, regression family, poisson/gamma/tweedie)`,
      )
  }
}

/** The `version=` line's number (2 for "v2"); files written before LightGBM 2.0.12 have none (reported as 1). */
function formatVersion(file: string, value: string | undefined): number {
  if (value === undefined) return 1
  const m = /^v(\d+)$/.exec(value.trim())
  if (!m) fail(file, 'version', `"${value}" is not a LightGBM model version (v2, v3, v4)`)
  return Number(m[1])
}

/** Whether every leaf lies where the transform's outputs lie (probabilities in [0, 1], exp's results >= 0). */
function leavesInOutputRange(transform: LgbTransform, trees: readonly LgbTree[]): boolean {
  const [lo, hi] =
    transform.kind === 'sigmoid' || transform.kind === 'softmax'
      ? [0, 1]
      : transform.kind === 'exp'
        ? [0, Infinity]
        : [-Infinity, Infinity]
  return trees.every((t) => t.leafValue.every((v) => v >= lo && v <= hi))
}

function parseTree(file: string, index: number, kv: Map<string, string>): LgbTree {
  const where = (k: string) => `Tree=${index} ${k}`
  const numLeaves = Number(kv.get('num_leaves'))
  if (!Number.isInteger(numLeaves) || numLeaves < 1)
    fail(file, where('num_leaves'), `invalid (${kv.get('num_leaves')})`)
  if (kv.get('is_linear') === '1') fail(file, where('is_linear'), 'linear trees are not supported')
  const numCat = Number(kv.get('num_cat') ?? 0)
  const inner = numLeaves - 1
  const leafValue = numbers(file, where('leaf_value'), kv.get('leaf_value'), numLeaves)
  const catBoundaries = Int32Array.from(
    numCat > 0 ? numbers(file, where('cat_boundaries'), kv.get('cat_boundaries'), numCat + 1) : [],
  )
  const catWords = numCat > 0 ? catBoundaries[numCat] : 0
  const tree: LgbTree = {
    numLeaves,
    splitFeature: Int32Array.from(numbers(file, where('split_feature'), kv.get('split_feature'), inner)),
    threshold: Float64Array.from(numbers(file, where('threshold'), kv.get('threshold'), inner)),
    decisionType: Uint8Array.from(numbers(file, where('decision_type'), kv.get('decision_type'), inner)),
    left: Int32Array.from(numbers(file, where('left_child'), kv.get('left_child'), inner)),
    right: Int32Array.from(numbers(file, where('right_child'), kv.get('right_child'), inner)),
    leafValue: Float64Array.from(leafValue),
    catBoundaries,
    catThreshold: Uint32Array.from(numbers(file, where('cat_threshold'), kv.get('cat_threshold'), catWords)),
  }
  for (let i = 0; i < inner; i++) {
    for (const [name, child] of [
      ['left_child', tree.left[i]],
      ['right_child', tree.right[i]],
    ] as const) {
      const ok = child >= 0 ? child < inner : ~child < numLeaves
      if (!ok) fail(file, where(`${name}[${i}]`), `${child} points outside the tree`)
    }
    if (tree.decisionType[i] & CATEGORICAL) {
      const c = tree.threshold[i]
      if (!Number.isInteger(c) || c < 0 || c >= numCat)
        fail(file, where(`threshold[${i}]`), `category set ${c} of ${numCat}`)
    }
  }
  return tree
}

/** Parse LightGBM's text format; `file` names the source in error messages. */
export function parseLightgbmText(text: string, file = 'model'): LgbModel {
  const lines = text.split(/\r?\n/)
  const header = new Map<string, string>()
  const trees: LgbTree[] = []
  let i = 0
  let endOfTrees = false
  if (lines[0]?.trim() !== 'tree') fail(file, 'line 1', `expected "tree", got "${lines[0]?.slice(0, 40)}"`)
  for (i = 1; i < lines.length && !lines[i].startsWith('Tree='); i++) {
    const eq = lines[i].indexOf('=')
    if (eq > 0) header.set(lines[i].slice(0, eq), lines[i].slice(eq + 1))
    else if (lines[i].trim() === 'average_output') header.set('average_output', '1')
  }
  while (i < lines.length && lines[i].startsWith('Tree=')) {
    const index = Number(lines[i].slice(5))
    if (index !== trees.length) fail(file, `line ${i + 1}`, `expected Tree=${trees.length}, got ${lines[i]}`)
    const kv = new Map<string, string>()
    for (i++; i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('Tree='); i++) {
      const eq = lines[i].indexOf('=')
      if (eq > 0) kv.set(lines[i].slice(0, eq), lines[i].slice(eq + 1))
    }
    trees.push(parseTree(file, index, kv))
    while (i < lines.length && lines[i].trim() === '') i++
  }
  endOfTrees = lines[i]?.trim() === 'end of trees'
  if (trees.length === 0) fail(file, 'trees', 'no "Tree=" blocks found')
  const version = formatVersion(file, header.get('version'))
  checkComplete(file, version, header.get('tree_sizes'), trees.length, endOfTrees)
  const int = (key: string): number => {
    const v = Number(header.get(key))
    if (!Number.isInteger(v) || v < 0) fail(file, key, `missing or invalid (${header.get(key)})`)
    return v
  }
  const numClass = int('num_class')
  const treesPerIteration = int('num_tree_per_iteration')
  const maxFeatureIdx = int('max_feature_idx')
  const objective = header.get('objective') ?? fail(file, 'objective', 'field is missing')
  if (trees.length % treesPerIteration !== 0) {
    fail(file, 'num_tree_per_iteration', `${trees.length} trees is not a multiple of ${treesPerIteration}`)
  }
  for (const [t, tree] of trees.entries()) {
    for (const f of tree.splitFeature)
      if (f > maxFeatureIdx) fail(file, `Tree=${t} split_feature`, `feature ${f} > max_feature_idx ${maxFeatureIdx}`)
  }
  const averageOutput = header.has('average_output')
  const transform = transformOf(file, objective)
  return {
    objective,
    numClass,
    treesPerIteration,
    maxFeatureIdx,
    featureNames: (header.get('feature_names') ?? '').split(' ').filter(Boolean),
    averageOutput,
    leavesAreOutputs: averageOutput && version <= 2 && leavesInOutputRange(transform, trees),
    transform,
    trees,
  }
}

/**
 * A truncated file must not load as a smaller model: LightGBM lists every tree's size in `tree_sizes` (from 2.0.12)
 * and closes the trees with "end of trees" (from 2.2.0, so always in v3 and later).
 */
function checkComplete(
  file: string,
  version: number,
  treeSizes: string | undefined,
  trees: number,
  endOfTrees: boolean,
): void {
  const listed = treeSizes?.trim().split(/\s+/).length
  if (listed !== undefined && listed !== trees)
    fail(file, 'tree_sizes', `lists ${listed} trees but the file has ${trees}: it is truncated or corrupt`)
  if (version >= 3 && !endOfTrees)
    fail(file, 'end of trees', `missing after Tree=${trees - 1}: the file is truncated or corrupt`)
}

/** Index of the leaf (0..numLeaves-1) that row `x` (offset `at`) reaches in `tree`. */
export function leafIndex(tree: LgbTree, x: ArrayLike<number>, at: number): number {
  if (tree.numLeaves === 1) return 0
  let node = 0
  while (node >= 0) {
    const dt = tree.decisionType[node]
    let v = x[at + tree.splitFeature[node]]
    let goLeft: boolean
    if (dt & CATEGORICAL) {
      // NaN and negative categories always go right; others test membership in the node's bitset.
      if (Number.isNaN(v) || v < 0) goLeft = false
      else {
        const c = Math.trunc(v)
        const set = tree.threshold[node]
        const lo = tree.catBoundaries[set]
        const words = tree.catBoundaries[set + 1] - lo
        const w = c >>> 5
        goLeft = w < words && ((tree.catThreshold[lo + w] >>> (c & 31)) & 1) === 1
      }
    } else {
      const missing = (dt >> 2) & 3
      if (Number.isNaN(v) && missing !== MISSING_NAN) v = 0
      if ((missing === MISSING_ZERO && Math.abs(v) <= ZERO_THRESHOLD) || (missing === MISSING_NAN && Number.isNaN(v))) {
        goLeft = (dt & DEFAULT_LEFT) !== 0
      } else goLeft = v <= tree.threshold[node]
    }
    node = goLeft ? tree.left[node] : tree.right[node]
  }
  return ~node
}

/** Raw scores, row-major (n, treesPerIteration), for row-major (n, f) input with f > maxFeatureIdx. */
export function predictRaw(model: LgbModel, x: ArrayLike<number>, n: number, f: number): Float64Array {
  if (f <= model.maxFeatureIdx) throw new Error(`LightGBM model needs ${model.maxFeatureIdx + 1} features, got ${f}`)
  const k = model.treesPerIteration
  const out = new Float64Array(n * k)
  const iterations = model.trees.length / k
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < model.trees.length; t++) {
      const tree = model.trees[t]
      out[i * k + (t % k)] += tree.leafValue[leafIndex(tree, x, i * f)]
    }
    if (model.averageOutput) for (let c = 0; c < k; c++) out[i * k + c] /= iterations
  }
  return out
}

/**
 * Apply the objective's output transform in place (softmax per row for multi-class); a forest written before
 * LightGBM 2.2.3 averaged leaves that were outputs already, so its average is returned as it is.
 */
export function transformRaw(model: LgbModel, raw: Float64Array): Float64Array {
  const t = model.transform
  const k = model.treesPerIteration
  if (model.leavesAreOutputs) return raw
  switch (t.kind) {
    case 'identity':
      return raw
    case 'sigmoid':
      for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-t.scale * raw[i]))
      return raw
    case 'exp':
      for (let i = 0; i < raw.length; i++) raw[i] = Math.exp(raw[i])
      return raw
    case 'square':
      for (let i = 0; i < raw.length; i++) raw[i] = Math.sign(raw[i]) * raw[i] * raw[i]
      return raw
    case 'softmax':
      for (let r = 0; r < raw.length; r += k) {
        let max = -Infinity
        for (let c = 0; c < k; c++) max = Math.max(max, raw[r + c])
        let sum = 0
        for (let c = 0; c < k; c++) {
          raw[r + c] = Math.exp(raw[r + c] - max)
          sum += raw[r + c]
        }
        for (let c = 0; c < k; c++) raw[r + c] /= sum
      }
      return raw
  }
}
