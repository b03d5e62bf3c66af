import type { Command } from 'commander'

/** Each CLI command is one file exporting a `register(program)` function; list it here. */
export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = []
