import type { Command } from 'commander'
import { register as ingest } from './ingest.js'
import { register as resample } from './resample.js'
import { register as run } from './run.js'

/** Each CLI command is one file exporting a `register(program)` function; list it here. */
export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = [
  run,
  ingest,
  resample,
]
