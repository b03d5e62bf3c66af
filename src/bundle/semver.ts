/**
 * The bundle format version this code writes, and the rule for what it can read. 3.1: drift reference distributions,
 * regime models and a learning policy's fitted state in the chain; 3.2: the acceptance verdict.
 */
export const BUNDLE_VERSION = '3.2.0'

export function parseSemver(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v)
  if (!m) throw new Error(`"${v}" is not a semantic version (MAJOR.MINOR.PATCH)`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

/** A reader can load bundles of its own major version and a minor version not newer than its own. */
export function canRead(reader: string, bundle: string): boolean {
  const [rMaj, rMin] = parseSemver(reader)
  const [bMaj, bMin] = parseSemver(bundle)
  return rMaj === bMaj && bMin <= rMin
}
