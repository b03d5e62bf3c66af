import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { bundleFiles } from './paths.js'

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** SHA-256 and size of every file under `dir` (links refused), by forward-slash relative path. */
export async function checksumTree(dir: string, skip: readonly string[] = []) {
  const files: Record<string, { sha256: string; bytes: number }> = {}
  for (const f of await bundleFiles(dir, dir)) {
    if (skip.includes(f)) continue
    files[f] = { sha256: await sha256File(join(dir, f)), bytes: (await stat(join(dir, f))).size }
  }
  return files
}
