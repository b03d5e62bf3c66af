/**
 * Path confinement: a bundle is a folder of plain files, and nothing it names may reach outside it. A manifest is
 * data from whoever handed the bundle over, so its paths are checked before any file is opened or hashed: a path
 * outside the bundle is never read, and no hash of such a file is ever printed.
 */
import { lstat, readdir, realpath } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

/** A file with another name elsewhere may be a file outside the bundle: its bytes are not the bundle's to vouch for. */
function hardLinkMessage(what: string, rel: string): string {
  return `${what}: ${rel} is a hard link (it has other names, possibly outside the bundle); a bundle holds plain files only`
}

/** Why `path` is not a plain relative path inside a bundle, or null when it is. */
export function unsafePathReason(path: string): string | null {
  if (path.length === 0) return 'it is empty'
  if (path.includes('\0')) return 'it contains a NUL byte'
  if (path.includes('\\')) return 'it contains a backslash'
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'it is absolute'
  const parts = path.split('/')
  if (parts.includes('..')) return 'it contains ..'
  if (parts.some((p) => p === '' || p === '.')) return 'it is not normalised (empty or . segments)'
  return null
}

/**
 * Check that `rel` names a regular file inside `root` (a real path), reached through no symbolic link. Throws with
 * `what` (the bundle's name) and the path; returns the absolute path.
 */
export async function confinedFile(root: string, rel: string, what: string): Promise<string> {
  const reason = unsafePathReason(rel)
  if (reason)
    throw new Error(`${what}: the manifest lists the path ${JSON.stringify(rel)}, which is refused: ${reason}`)
  let at = root
  const parts = rel.split('/')
  for (const [i, part] of parts.entries()) {
    at = join(at, part)
    const shown = parts.slice(0, i + 1).join('/')
    let st
    try {
      st = await lstat(at)
    } catch {
      throw new Error(`${what}: artifact ${rel} is missing`)
    }
    if (st.isSymbolicLink()) throw new Error(`${what}: ${shown} is a symbolic link; a bundle holds plain files only`)
    const last = i === parts.length - 1
    if (last && !st.isFile()) throw new Error(`${what}: ${shown} is not a regular file`)
    if (last && st.nlink > 1) throw new Error(hardLinkMessage(what, shown))
    if (!last && !st.isDirectory()) throw new Error(`${what}: ${shown} is not a folder`)
  }
  // No link on the way, so the real path stays under the root; checked again in case the tree changed meanwhile.
  const real = await realpath(at)
  if (relative(root, real).split(sep)[0] === '..') throw new Error(`${what}: ${rel} resolves outside the bundle`)
  return real
}

/**
 * Every entry under `root` as sorted forward-slash relative paths of regular files. A symbolic link (to a file or a
 * folder) or any other kind of entry is an error naming it: links are how a bundle would reach outside itself.
 */
export async function bundleFiles(root: string, what: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name)
      const rel = relative(root, p).split(sep).join('/')
      if (entry.isSymbolicLink()) throw new Error(`${what}: ${rel} is a symbolic link; a bundle holds plain files only`)
      if (entry.isDirectory()) await walk(p)
      else if (entry.isFile()) {
        if ((await lstat(p)).nlink > 1) throw new Error(hardLinkMessage(what, rel))
        out.push(rel)
      } else throw new Error(`${what}: ${rel} is not a regular file`)
    }
  }
  await walk(root)
  return out.sort()
}
