import type { EvalIndices, TrainIndices } from './indices.js'
import { complementOf, equalGroups, purgeAndEmbargo, rowsOf, type Block } from './purge.js'
import type { LabelSpans } from './spans.js'

export interface CpcvSplit {
  readonly split: number
  /** The k groups tested in this split, ascending. */
  readonly testGroups: readonly number[]
  readonly train: TrainIndices
  readonly test: EvalIndices
  readonly purged: number
  readonly embargoed: number
}

export interface Cpcv {
  readonly groups: readonly Block[]
  readonly splits: readonly CpcvSplit[]
  /** paths[p][g] = the split whose model predicts group g on backtest path p; C(N-1, k-1) paths. */
  readonly paths: readonly (readonly number[])[]
}

/**
 * Combinatorial purged CV (López de Prado): N contiguous groups, every choice of k test groups is one split
 * (C(N, k) splits), train purged against all test spans with an embargo after each test block. Each group is tested
 * in C(N-1, k-1) splits; path p takes, for every group, the p-th split (in order) that tested it, so every path is a
 * complete out-of-sample history.
 */
export function cpcv(spans: LabelSpans, groups = 6, testGroups = 2, embargo = 0): Cpcv {
  if (!Number.isInteger(testGroups) || testGroups < 1 || testGroups >= groups) {
    throw new Error(`CPCV needs 1 <= testGroups < groups, got testGroups=${testGroups}, groups=${groups}`)
  }
  const n = spans.row.length
  const blocks = equalGroups(n, groups)
  const combos = combinations(groups, testGroups)
  const splits = combos.map((tg, split) => {
    const testBlocks = mergeAdjacent(tg.map((g) => blocks[g]))
    const r = purgeAndEmbargo(spans, complementOf(n, testBlocks), testBlocks, embargo)
    return {
      split,
      testGroups: tg,
      train: r.train,
      test: rowsOf(spans, testBlocks),
      purged: r.purged,
      embargoed: r.embargoed,
    }
  })
  const seen = new Array<number>(groups).fill(0)
  const nPaths = combos.length > 0 ? (combos.length * testGroups) / groups : 0
  const paths = Array.from({ length: nPaths }, () => new Array<number>(groups).fill(-1))
  for (const s of splits) for (const g of s.testGroups) paths[seen[g]++][g] = s.split
  return { groups: blocks, splits, paths }
}

/**
 * Assemble out-of-sample predictions per path. `predictions[s]` holds split s's predictions for its test rows, in the
 * order of `splits[s].test`. Returns one array per path over all samples, in sample order.
 */
export function assemblePaths(c: Cpcv, predictions: readonly Float64Array[]): Float64Array[] {
  if (predictions.length !== c.splits.length) {
    throw new Error(`assemblePaths: ${predictions.length} prediction arrays for ${c.splits.length} splits`)
  }
  c.splits.forEach((s, i) => {
    if (predictions[i].length !== s.test.length) {
      throw new Error(
        `assemblePaths: split ${i} has ${s.test.length} test rows but ${predictions[i].length} predictions`,
      )
    }
  })
  const n = c.groups[c.groups.length - 1].end
  return c.paths.map((path) => {
    const out = new Float64Array(n)
    path.forEach((split, g) => {
      const s = c.splits[split]
      // Offset of group g inside the split's test rows: the sizes of its test groups before g.
      let offset = 0
      for (const h of s.testGroups) if (h < g) offset += c.groups[h].end - c.groups[h].start
      const block = c.groups[g]
      out.set(predictions[split].subarray(offset, offset + block.end - block.start), block.start)
    })
    return out
  })
}

/** All k-subsets of 0..n-1 in lexicographic order. */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = []
  const cur: number[] = []
  const rec = (start: number): void => {
    if (cur.length === k) {
      out.push([...cur])
      return
    }
    for (let i = start; i <= n - (k - cur.length); i++) {
      cur.push(i)
      rec(i + 1)
      cur.pop()
    }
  }
  rec(0)
  return out
}

/** Adjacent groups form one test block (the embargo applies after the block, not between its groups). */
function mergeAdjacent(blocks: readonly Block[]): Block[] {
  const out: Block[] = []
  for (const b of blocks) {
    const last = out[out.length - 1]
    if (last && last.end === b.start) out[out.length - 1] = { start: last.start, end: b.end }
    else out.push(b)
  }
  return out
}
