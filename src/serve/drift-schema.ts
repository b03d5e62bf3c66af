/** JSON schemas of GET /v1/drift: its query, and its answer (which also fixes what is serialised, and how). */

export const driftQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { model: { type: 'string', minLength: 1, description: 'one served model (default: all)' } },
} as const

const level = { type: 'string', enum: ['ok', 'warn', 'alert'] } as const
const kind = { type: 'string', enum: ['feature', 'output'] } as const

/** A drift event, as the monitor raises it and the webhook receives it. */
const eventSchema = {
  type: 'object',
  required: ['type', 'level', 'previous', 'column', 'kind', 'psi', 'kl', 'threshold', 'row', 'ts', 'windowRows'],
  properties: {
    type: { type: 'string', enum: ['drift'] },
    level,
    previous: level,
    column: { type: 'string' },
    kind,
    psi: { type: 'number' },
    kl: { type: 'number' },
    threshold: { type: 'number', description: 'the PSI threshold crossed' },
    row: { type: 'integer', description: 'rows pushed to the monitor when it happened' },
    ts: { type: ['string', 'null'], description: "the row's bar time" },
    windowRows: { type: 'integer' },
  },
} as const

const columnSchema = {
  type: 'object',
  required: ['name', 'kind', 'level', 'excluded', 'psi', 'kl', 'wasserstein', 'missing'],
  properties: {
    name: { type: 'string' },
    kind,
    level,
    excluded: { type: 'boolean', description: 'a feature of monitor.exclude_groups: reported, never warns' },
    psi: { type: 'number' },
    kl: { type: 'number', description: 'KL(window || reference), nats' },
    wasserstein: { type: 'number', description: 'in reference standard deviations' },
    missing: { type: 'integer', description: 'rows of the window where the column is not finite' },
  },
} as const

const modelSchema = {
  type: 'object',
  required: [
    'name',
    'checksum',
    'available',
    'state',
    'reason',
    'window',
    'thresholds',
    'webhook',
    'columns',
    'recent_events',
  ],
  properties: {
    name: { type: 'string' },
    checksum: { type: 'string' },
    available: { type: 'boolean', description: 'false when the bundle has no reference distributions' },
    state: { type: 'string', enum: ['unavailable', 'warming_up', 'ok', 'warn', 'alert'] },
    reason: { type: ['string', 'null'], description: 'why drift is unavailable' },
    window: {
      type: ['object', 'null'],
      required: ['rows', 'size', 'seen', 'last_ts'],
      properties: {
        rows: { type: 'integer', description: 'rows in the window now' },
        size: { type: 'integer', description: 'rows of a full window' },
        seen: { type: 'integer', description: 'rows pushed since the bundle was loaded' },
        last_ts: { type: ['string', 'null'] },
      },
    },
    thresholds: {
      type: ['object', 'null'],
      required: ['psi_warn', 'psi_alert'],
      properties: { psi_warn: { type: 'number' }, psi_alert: { type: 'number' } },
    },
    webhook: {
      type: ['object', 'null'],
      required: ['url', 'failures'],
      properties: { url: { type: 'string' }, failures: { type: 'integer' } },
    },
    columns: { type: 'array', items: columnSchema },
    recent_events: { type: 'array', items: eventSchema },
  },
} as const

export const driftResponseSchema = {
  type: 'object',
  required: ['bundle_version', 'models'],
  properties: {
    bundle_version: { type: 'string' },
    models: { type: 'array', items: modelSchema },
  },
} as const
