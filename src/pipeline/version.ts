import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** package version plus the git commit when the code runs from a checkout (recorded with every run). */
export function codeVersion(): string {
  const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim()
    return `${pkg.version}+${commit}`
  } catch {
    return pkg.version
  }
}
