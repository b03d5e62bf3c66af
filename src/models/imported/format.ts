/**
 * What kind of model file a path holds, told from its bytes before any library sees them: a file that belongs to
 * another library is refused naming the entry that loads it, and a truncated JSON is refused naming the file, instead
 * of reaching a native parser that answers with a C++ message (or a stack trace).
 */

export type ModelFormat =
  | { readonly kind: 'lightgbm-text' }
  | { readonly kind: 'xgboost-json' }
  | { readonly kind: 'sklearn-json' }
  | { readonly kind: 'json' }
  | { readonly kind: 'invalid-json'; readonly error: string }
  | { readonly kind: 'ubjson' }
  | { readonly kind: 'onnx' }
  | { readonly kind: 'text' }
  | { readonly kind: 'binary' }
  | { readonly kind: 'empty' }

export type FormatKind = ModelFormat['kind']

/** The formats that belong to one of our imported-model entries, with the entry that loads each. */
const OWNER: Partial<Record<FormatKind, { readonly what: string; readonly entry: string }>> = {
  'lightgbm-text': { what: 'a LightGBM text model', entry: 'lightgbm_model' },
  'xgboost-json': { what: 'an XGBoost JSON model', entry: 'xgboost_model' },
  ubjson: { what: 'a UBJSON file (XGBoost UBJ model)', entry: 'xgboost_model' },
  onnx: { what: 'an ONNX model', entry: 'onnx_model' },
  'sklearn-json': { what: 'a scikit-learn JSON export', entry: 'sklearn_model' },
}

const UTF8_BOM = [0xef, 0xbb, 0xbf]
// What follows a UBJSON object's "{": the first key's length marker, or an optimised-container marker. JSON has '"'.
const UBJ_AFTER_BRACE = new Set([...'iUIlL$#'].map((c) => c.charCodeAt(0)))

function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d
}

/** Offset of the first byte after a UTF-8 byte-order mark and JSON whitespace. */
function contentStart(bytes: Uint8Array): number {
  let i = UTF8_BOM.every((b, k) => bytes[k] === b) ? UTF8_BOM.length : 0
  while (i < bytes.length && isJsonSpace(bytes[i])) i++
  return i
}

/** ONNX ModelProto: field 1 (ir_version, a small varint) first, then a length-delimited field (producer, graph...). */
function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 0x80 && (bytes[2] & 7) === 2
}

function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 4096)
  if (head.includes(0)) return false
  try {
    // A multi-byte character cut at the 4 KiB boundary is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return true
  } catch {
    return false
  }
}

// XGBoost writes and reads NaN, Infinity and -Infinity as bare numbers, which JSON.parse refuses.
const NON_FINITE = /([:,[]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g

function parseJson(text: string): { json: unknown } | { error: string } {
  try {
    return { json: JSON.parse(text) as unknown }
  } catch (err) {
    try {
      return { json: JSON.parse(text.replace(NON_FINITE, '$1null')) as unknown }
    } catch {
      return { error: (err as Error).message }
    }
  }
}

function jsonFormat(text: string): ModelFormat {
  const parsed = parseJson(text)
  if ('error' in parsed) return { kind: 'invalid-json', error: parsed.error }
  const json = parsed.json
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {}
  if ('learner' in obj) return { kind: 'xgboost-json' }
  if ('model_type' in obj) return { kind: 'sklearn-json' }
  return { kind: 'json' }
}

/** Tell a model file's format from its bytes (JSON is parsed, so a truncated one is caught here). */
export function sniffModelFormat(bytes: Uint8Array): ModelFormat {
  const start = contentStart(bytes)
  if (start >= bytes.length) return { kind: 'empty' }
  const first = bytes[start]
  if (first === 0x7b /* { */ && UBJ_AFTER_BRACE.has(bytes[start + 1])) return { kind: 'ubjson' }
  if (looksLikeOnnx(bytes)) return { kind: 'onnx' }
  if (!looksLikeText(bytes)) return { kind: 'binary' }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start)
  if (/^tree\r?\n/.test(text)) return { kind: 'lightgbm-text' }
  if (first === 0x7b || first === 0x5b /* [ */) return jsonFormat(text)
  return { kind: 'text' }
}

/** How a format reads in an error: "a LightGBM text model", "binary data", ... */
export function describeFormat(f: ModelFormat): string {
  switch (f.kind) {
    case 'json':
      return 'a JSON file'
    case 'invalid-json':
      return 'invalid JSON'
    case 'text':
      return 'a text file'
    case 'binary':
      return 'binary data'
    case 'empty':
      return 'empty'
    default:
      return OWNER[f.kind]!.what
  }
}

/**
 * The file's format when `entry` takes it, else an error naming the file: another library's model names the entry
 * that loads it; a truncated or invalid JSON carries the parser's message.
 */
export function requireModelFormat(
  bytes: Uint8Array,
  source: string,
  entry: string,
  accepted: readonly FormatKind[],
  expected: string,
): ModelFormat {
  const f = sniffModelFormat(bytes)
  if (accepted.includes(f.kind)) return f
  const owner = OWNER[f.kind]
  if (owner && owner.entry !== entry) throw new Error(`${source}: is ${owner.what}; load it with ${owner.entry}`)
  if (f.kind === 'invalid-json')
    throw new Error(`${source}: not valid JSON (truncated or corrupt?): ${f.error}; ${entry} needs ${expected}`)
  throw new Error(`${source}: is ${describeFormat(f)}, not ${expected}`)
}
