/**
 * "Did you mean" for names a person typed: model, combiner, policy and post-processor names, config keys, feature
 * and column names. Names are compared case-insensitively, with `-`, `_` and spaces taken as the same separator, by
 * the optimal-string-alignment distance (Levenshtein plus the swap of two adjacent characters, the commonest typo).
 */

/** Edit distance between `a` and `b`: insertions, deletions, substitutions and adjacent transpositions cost 1 each. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  const w = b.length + 1
  // Three rows of the dynamic-programming table: two back (for transpositions), previous, current.
  let prev2 = new Array<number>(w).fill(0)
  let prev = Array.from({ length: w }, (_, j) => j)
  let cur = new Array<number>(w).fill(0)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1)
      cur[j] = d
    }
    ;[prev2, prev, cur] = [prev, cur, prev2]
  }
  return prev[b.length]
}

/** The form names are compared in: lower case, separators unified. */
export function normalizeName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '_')
}

/**
 * The largest distance at which a candidate still counts as a typo of a name of `length` characters: 1 up to five
 * characters, 2 up to eight, then 3. (Looser would offer `gru` for `mlp`; tighter would miss `xgbst`.)
 */
export function maxDistance(length: number): number {
  return length <= 5 ? 1 : length <= 8 ? 2 : 3
}

/**
 * The candidates that look like `name`, closest first (ties in the candidates' order), at most `limit`. A candidate
 * is close when its edit distance is within maxDistance of the name's length, or when one of the two starts with the
 * other (`patch` for `patchtst`, `rsi_14` for `rsi_14_5m`; names of at least three characters). Nothing when `name`
 * is itself a candidate.
 */
export function similar(name: string, candidates: Iterable<string>, limit = 5): string[] {
  const n = normalizeName(name)
  if (n.length === 0) return []
  const limitD = maxDistance(n.length)
  const scored: { c: string; d: number; k: number }[] = []
  let k = 0
  for (const c of candidates) {
    if (c === name) return [] // a known name is no typo
    const m = normalizeName(c)
    const d = editDistance(n, m)
    const prefix = Math.min(n.length, m.length) >= 3 && (m.startsWith(n) || n.startsWith(m))
    // A prefix match ranks after every typo within the limit.
    if (d <= limitD) scored.push({ c, d, k })
    else if (prefix) scored.push({ c, d: limitD + 1 + Math.abs(m.length - n.length) / 1000, k })
    k++
  }
  const seen = new Set<string>()
  return scored
    .sort((a, b) => a.d - b.d || a.k - b.k)
    .map((s) => s.c)
    .filter((c) => !seen.has(c) && seen.add(c))
    .slice(0, limit)
}

/** The one candidate closest to `name`, or null when none is close (see similar). */
export function closest(name: string, candidates: Iterable<string>): string | null {
  return similar(name, candidates, 1)[0] ?? null
}

/**
 * `did you mean "xgboost"?` followed by `after`, when a candidate is close to `name`; '' when none is (so a message
 * can hold it unconditionally: `unknown model "xgbost"; ${didYouMean(name, names, ' ')}available: ...`).
 */
export function didYouMean(name: string, candidates: Iterable<string>, after = ''): string {
  const c = closest(name, candidates)
  return c === null ? '' : `did you mean ${JSON.stringify(c)}?${after}`
}
