#!/usr/bin/env node
import { Command } from 'commander'
import { commands } from './commands.js'
import { userMessage } from '../core/messages.js'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }

const program = new Command()
  .name('mlf')
  .description('mlfactory: leakage-safe ML for trading research and live deployment')
  .version(pkg.version)
  .showHelpAfterError()

for (const register of commands) register(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  process.stderr.write(`mlf: ${userMessage(err)}\n`)
  process.exitCode = 1
}
