import { CHAIN_ROLES, type ServedModel } from './served-model.js'

/** What GET /v1/models says of a served model: its bundle's identity, features, chain, signature and live state. */
export function modelDescription(m: ServedModel): Record<string, unknown> {
  const b = m.bundle
  const man = b.manifest
  return {
    name: m.name,
    role: CHAIN_ROLES[m.name] ?? m.name,
    dir: m.dir,
    checksum: b.checksum,
    bundle_version: man.bundle_version,
    producer: man.producer,
    config_hash: man.config_hash,
    data_fingerprint: man.data_fingerprint,
    feature_schema: {
      hash: man.feature_schema.hash,
      volume_mode: man.feature_schema.volume_mode,
      names: man.feature_schema.names,
    },
    chain: man.chain,
    signature: man.signature,
    ...(man.metrics.verdict !== undefined ? { verdict: man.metrics.verdict } : {}),
    live: { bars: m.live.pushed(), warmup_bars: man.signature.inputs.warmup_bars, ready: m.live.usable() },
  }
}
