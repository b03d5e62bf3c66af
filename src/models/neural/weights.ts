/**
 * Tensor files: `<base>.bin` holds the raw little-endian values of each tensor back to back; `<base>.json` indexes
 * them (name, dtype, shape, byte offset) with the SHA-256 of the bin file, checked on load. Byte-identical for
 * identical tensors, so bundle checksums are deterministic.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { torch, type DType, type Tensor } from '../../engines/torch/index.js'
import { parseWith } from '../persist.js'

const FORMAT = 'mlf-torch-weights/1'

interface IndexEntry {
  readonly name: string
  readonly dtype: DType
  readonly shape: number[]
  readonly offset: number
  readonly bytes: number
}

const indexSchema = z
  .object({
    format: z.string(),
    sha256: z.string(),
    tensors: z.array(
      z
        .object({
          name: z.string(),
          dtype: z.enum(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']),
          shape: z.array(z.number().int().nonnegative()),
          offset: z.number().int().nonnegative(),
          bytes: z.number().int().nonnegative(),
        })
        .strict(),
    ),
  })
  .strict()

/** Write tensors; returns the two file names written (relative to dir). */
export function saveTensors(dir: string, base: string, entries: readonly [string, Tensor][]): string[] {
  const chunks: Uint8Array[] = []
  const index: IndexEntry[] = []
  let offset = 0
  for (const [name, t] of entries) {
    const a = t.toArray()
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    index.push({ name, dtype: t.dtype, shape: t.shape, offset, bytes: bytes.byteLength })
    chunks.push(bytes)
    offset += bytes.byteLength
  }
  const bin = Buffer.concat(chunks)
  const sha256 = createHash('sha256').update(bin).digest('hex')
  writeFileSync(join(dir, `${base}.bin`), bin)
  writeFileSync(join(dir, `${base}.json`), JSON.stringify({ format: FORMAT, sha256, tensors: index }, null, 1) + '\n')
  return [`${base}.json`, `${base}.bin`]
}

export function tensorsExist(dir: string, base: string): boolean {
  return existsSync(join(dir, `${base}.json`)) && existsSync(join(dir, `${base}.bin`))
}

const ARRAYS: Record<
  string,
  { new (b: ArrayBuffer, o: number, n: number): ArrayLike<unknown>; BYTES_PER_ELEMENT: number }
> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
}

/** Read tensors written by saveTensors (new tensors, outside any scope); fails on checksum or format mismatch. */
export function loadTensors(dir: string, base: string): Map<string, Tensor> {
  const indexPath = join(dir, `${base}.json`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(indexPath, 'utf8'))
  } catch (err) {
    throw new Error(`${indexPath}: cannot read the tensor index: ${(err as Error).message}`)
  }
  const idx = parseWith(indexSchema, raw, indexPath)
  if (idx.format !== FORMAT) throw new Error(`${indexPath}: unknown format "${idx.format}" (expected ${FORMAT})`)
  const bin = readFileSync(join(dir, `${base}.bin`))
  const sha = createHash('sha256').update(bin).digest('hex')
  if (sha !== idx.sha256)
    throw new Error(`${join(dir, `${base}.bin`)}: checksum mismatch (file is corrupt or was changed)`)
  const out = new Map<string, Tensor>()
  for (const e of idx.tensors) {
    const Ctor = ARRAYS[e.dtype]
    if (!Ctor) throw new Error(`${indexPath}: tensor "${e.name}" has unsupported dtype ${e.dtype}`)
    if (e.offset + e.bytes > bin.byteLength)
      throw new Error(`${indexPath}: tensor "${e.name}" lies beyond the end of the bin file`)
    // Copy into an aligned buffer: Node's Buffer pool may place the file bytes at an unaligned offset.
    const copy = new Uint8Array(e.bytes)
    copy.set(bin.subarray(e.offset, e.offset + e.bytes))
    const count = e.shape.reduce((a, b) => a * b, 1)
    if (count * Ctor.BYTES_PER_ELEMENT !== e.bytes)
      throw new Error(`${indexPath}: tensor "${e.name}" of shape [${e.shape.join(', ')}] cannot hold ${e.bytes} bytes`)
    const arr = new Ctor(copy.buffer, 0, count)
    if (arr instanceof Float32Array || arr instanceof Float64Array) {
      const bad = arr.findIndex((v) => !Number.isFinite(v))
      if (bad >= 0) throw new Error(`${indexPath}: tensor "${e.name}" holds a non-finite value (${arr[bad]}) at ${bad}`)
    }
    const t = torch().tensor(arr as Float32Array, e.shape, e.dtype)
    out.set(e.name, torch().keep(t))
  }
  return out
}
