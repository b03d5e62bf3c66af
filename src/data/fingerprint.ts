import { createHash } from 'node:crypto'
import { BAR_FIELDS, type Bars } from './bars.js'

const CANONICAL_NAN_HI = 0x7ff80000

/**
 * SHA-256 over the canonical columns (ts, open, high, low, close, volume as little-endian float64, column by column,
 * NaN in one canonical form), so the same bars give the same fingerprint whichever file format they came from.
 */
export function fingerprintBars(bars: Bars): string {
  const hash = createHash('sha256')
  hash.update(`mlfactory.bars.v1\n${bars.length}\n`)
  const chunk = new Float64Array(65_536)
  const words = new Uint32Array(chunk.buffer)
  const bytes = new Uint8Array(chunk.buffer)
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  for (const field of BAR_FIELDS) {
    const col = bars[field]
    for (let start = 0; start < col.length; start += chunk.length) {
      const n = Math.min(chunk.length, col.length - start)
      chunk.set(col.subarray(start, start + n))
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(chunk[i])) {
          words[2 * i] = 0
          words[2 * i + 1] = CANONICAL_NAN_HI
        }
        if (chunk[i] === 0) chunk[i] = 0 // -0 and 0 are the same price
      }
      if (!littleEndian) {
        for (let i = 0; i < n * 8; i += 8) bytes.subarray(i, i + 8).reverse()
      }
      hash.update(bytes.subarray(0, n * 8))
    }
  }
  return hash.digest('hex')
}
