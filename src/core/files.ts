/**
 * Outputs written so that a reader never sees half of one: each is written under a temp name that carries the
 * writer's pid and a mark of its own (`<final>.tmp-<pid>-<mark>`) and renamed into place. A process killed midway leaves only such temp entries,
 * which the next writer in the same folder removes once their writer is gone.
 */
import { randomBytes } from 'node:crypto'
import { readdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

const TEMP_SUFFIX = /\.tmp-(\d+)-([0-9a-f]+)$/

/**
 * This process's mark on its temps beside its pid: a temp that carries our pid but another mark was left by an
 * earlier process that had the same pid (pids are reused; in a container every run may be pid 1).
 */
const PROCESS_MARK = randomBytes(4).toString('hex')

/** The temp name this process writes `path` under before renaming it into place. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${PROCESS_MARK}`
}

/** Whether the writer of a temp with this pid and mark may still be writing it. */
function writerMayBeAlive(pid: number, mark: string): boolean {
  return pid === process.pid ? mark === PROCESS_MARK : processAlive(pid)
}

/** Write a file atomically: readers see the old file (or none) until the whole new one is in place. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await removeStaleTempsOf(path)
  const tmp = tempPathFor(path)
  try {
    await writeFile(tmp, data)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Whether a process with this pid is running (one we may not signal is running too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Remove the temp entries (files or folders) in `dir` that a process no longer running left behind; those of live
 * processes (another run writing beside this one) are kept. With `stem`, only temps of that final name. Returns the
 * names removed; a missing `dir` has none.
 */
export async function removeStaleTemps(dir: string, stem?: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const m = TEMP_SUFFIX.exec(name)
    if (!m || (stem !== undefined && name.slice(0, m.index) !== stem)) continue
    if (writerMayBeAlive(Number(m[1]), m[2])) continue
    await rm(join(dir, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}

/** removeStaleTemps for the temps of one output path. */
export function removeStaleTempsOf(path: string): Promise<string[]> {
  return removeStaleTemps(dirname(path), basename(path))
}
