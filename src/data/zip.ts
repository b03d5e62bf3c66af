/**
 * Just enough of the ZIP format to read a bars CSV shipped as a one-file archive: the central directory is read
 * from the end of the file, the entry's data is streamed from its range and inflated (stored and deflated entries).
 * Encrypted, ZIP64 and split archives are refused with a message; nothing here guesses.
 */
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { createInflateRaw, constants, inflateRawSync } from 'node:zlib'

export interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly encrypted: boolean
  readonly compressedSize: number
  readonly size: number
  readonly localHeaderOffset: number
}

const EOCD_SIGNATURE = 0x06054b50
const EOCD_SIZE = 22
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const STORED = 0
const DEFLATED = 8
/** Marks a 32-bit size or offset (or a 16-bit count) that lives in ZIP64 extra fields instead. */
const ZIP64_MARK = 0xffffffff

const METHOD_NAMES: Record<number, string> = { 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 99: 'AES' }

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buf, 0, length, position)
  return buf.subarray(0, bytesRead)
}

/** The files in a ZIP archive (directories and macOS `__MACOSX/` metadata left out). Errors are plain sentences. */
export async function listZip(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r')
  try {
    const size = (await handle.stat()).size
    const tailLength = Math.min(size, EOCD_SIZE + 0xffff)
    const tail = await readAt(handle, size - tailLength, tailLength)
    let eocd = -1
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i
        break
      }
    }
    if (eocd < 0) throw new Error('a ZIP archive without its central directory (truncated or corrupt); re-download it')
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) throw zip64()
    if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0) {
      throw new Error('a ZIP archive split over several files, which is not supported; unpack it first')
    }
    const count = tail.readUInt16LE(eocd + 10)
    const directorySize = tail.readUInt32LE(eocd + 12)
    const directoryOffset = tail.readUInt32LE(eocd + 16)
    if (count === 0xffff || directorySize === ZIP64_MARK || directoryOffset === ZIP64_MARK) throw zip64()
    const directory = await readAt(handle, directoryOffset, directorySize)
    const entries: ZipEntry[] = []
    let p = 0
    for (let k = 0; k < count; k++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
        throw new Error('a ZIP archive with a corrupt central directory; re-download it')
      }
      const flags = directory.readUInt16LE(p + 8)
      const nameLength = directory.readUInt16LE(p + 28)
      const nameBytes = directory.subarray(p + 46, p + 46 + nameLength)
      const entry: ZipEntry = {
        name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
        method: directory.readUInt16LE(p + 10),
        encrypted: (flags & 1) !== 0,
        compressedSize: directory.readUInt32LE(p + 20),
        size: directory.readUInt32LE(p + 24),
        localHeaderOffset: directory.readUInt32LE(p + 42),
      }
      if (entry.compressedSize === ZIP64_MARK || entry.size === ZIP64_MARK || entry.localHeaderOffset === ZIP64_MARK) {
        throw zip64()
      }
      p += 46 + nameLength + directory.readUInt16LE(p + 30) + directory.readUInt16LE(p + 32)
      if (!entry.name.endsWith('/') && !entry.name.startsWith('__MACOSX/')) entries.push(entry)
    }
    return entries
  } finally {
    await handle.close()
  }
}

function zip64(): Error {
  return new Error('a ZIP64 archive (over 4 GB or 65,535 entries), which is not supported; unpack it first')
}

/** Why an entry cannot be read (encrypted, an unsupported compression method), or null when it can. */
export function unreadableEntry(entry: ZipEntry): string | null {
  if (entry.encrypted) return `"${entry.name}" in the ZIP archive is encrypted; unpack it with its password first`
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`
    return `"${entry.name}" in the ZIP archive is compressed with ${method}; only stored and deflated entries are read, so unpack it first`
  }
  return null
}

/** Where an entry's compressed bytes start: after its local header, whose name and extra field lengths vary. */
async function dataOffset(file: string, entry: ZipEntry): Promise<number> {
  const handle = await open(file, 'r')
  try {
    const local = await readAt(handle, entry.localHeaderOffset, 30)
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL_SIGNATURE) {
      throw new Error(`a ZIP archive whose entry "${entry.name}" is corrupt; re-download it`)
    }
    return entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
  } finally {
    await handle.close()
  }
}

/** The entry's uncompressed bytes as a stream, and its first (up to) `headBytes` bytes for sniffing what it holds. */
export async function openZipEntry(file: string, entry: ZipEntry, headBytes: number): Promise<{ stream: Readable; head: Buffer }> {
  if (entry.compressedSize === 0) return { stream: Readable.from([]), head: Buffer.alloc(0) }
  const start = await dataOffset(file, entry)
  const end = start + entry.compressedSize // exclusive
  const handle = await open(file, 'r')
  let head: Buffer
  try {
    // A deflated head is inflated on its own: a sync flush yields whatever the first bytes decode to.
    const raw = await readAt(handle, start, Math.min(entry.compressedSize, Math.max(headBytes, 64 * 1024)))
    head = entry.method === STORED ? raw : inflateRawSync(raw, { finishFlush: constants.Z_SYNC_FLUSH })
  } catch {
    throw new Error(`a ZIP archive whose entry "${entry.name}" holds corrupt compressed data; re-download it`)
  } finally {
    await handle.close()
  }
  const compressed = createReadStream(file, { start, end: end - 1 })
  if (entry.method === STORED) return { stream: compressed, head: head.subarray(0, headBytes) }
  const inflated = compressed.pipe(createInflateRaw())
  compressed.on('error', (e) => inflated.destroy(e))
  return { stream: inflated, head: head.subarray(0, headBytes) }
}
