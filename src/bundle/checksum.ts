import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Every file under `dir`, as sorted forward-slash relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name)
      if (entry.isDirectory()) await walk(p)
      else if (entry.isFile()) out.push(relative(dir, p).split(sep).join('/'))
    }
  }
  await walk(dir)
  return out.sort()
}

export async function checksumTree(dir: string, skip: readonly string[] = []) {
  const files: Record<string, { sha256: string; bytes: number }> = {}
  for (const f of await listFiles(dir)) {
    if (skip.includes(f)) continue
    files[f] = { sha256: await sha256File(join(dir, f)), bytes: (await stat(join(dir, f))).size }
  }
  return files
}
