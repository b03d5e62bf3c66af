import type { Command } from 'commander'
import { register as ingest } from './ingest.js'
import { register as resample } from './resample.js'
import { register as run } from './run.js'
import { register as predict } from './predict.js'
import { register as labels } from './labels.js'
import { register as splits } from './splits.js'
import { register as features } from './features.js'
import { register as audit } from './audit.js'
import { register as models } from './models.js'
import { register as couple } from './couple.js'
import { register as sweep } from './sweep.js'
import { register as worker } from './worker.js'
import { register as serve } from './serve.js'
import { register as runs } from './runs.js'
import { register as exportRuns } from './export.js'
import { register as ui } from './ui.js'
import { register as drift } from './drift.js'

/** Each CLI command is one file exporting a `register(program)` function; list it here. */
export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = [
  run,
  runs,
  exportRuns,
  ui,
  ingest,
  resample,
  predict,
  serve,
  drift,
  labels,
  splits,
  features,
  audit,
  models,
  couple,
  sweep,
  worker,
]
