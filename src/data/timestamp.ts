/**
 * Timestamp parsing for ingest: ISO-8601 (with `T` or a space, optional seconds and fraction, optional `Z` or offset)
 * and epoch numbers (seconds, milliseconds, microseconds or nanoseconds). Results are epoch milliseconds, UTC.
 */
export type TimestampFormat = 'auto' | 'iso' | 'epoch_s' | 'epoch_ms' | 'epoch_us' | 'epoch_ns'
export type DetectedFormat = Exclude<TimestampFormat, 'auto'>

const MS_PER_DAY = 86_400_000

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export interface IsoParse {
  /** Wall-clock time read as if it were UTC, in ms. */
  wallMs: number
  /** Offset in minutes given in the text (`Z` is 0), or null when the text had none. */
  offsetMinutes: number | null
  /** Whether seconds and any fraction are zero (bars open on whole minutes). */
  wholeMinute: boolean
}

function digitsAt(buf: Uint8Array, i: number, n: number, end: number): number {
  if (i + n > end) return -1
  let v = 0
  for (let k = 0; k < n; k++) {
    const c = buf[i + k] - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

const isoOut: IsoParse = { wallMs: 0, offsetMinutes: null, wholeMinute: true }

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/**
 * Why a calendar date and time of day does not exist (`2023-09-31`, `2023-02-29`, hour 24, minute 60), or null
 * when it does. Such values must be refused, not rolled over into the next day or hour.
 */
export function impossibleDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number): string | null {
  if (mo < 1 || mo > 12) return `impossible date: month ${mo}`
  const days = daysInMonth(y, mo)
  if (d < 1 || d > days) return `impossible date: ${MONTHS[mo - 1]} ${y} has ${days} days, not day ${d}`
  if (h > 23) return `impossible time: hour ${h} (hours run 00-23)`
  if (mi > 59) return `impossible time: minute ${mi} (minutes run 00-59)`
  if (s > 59) return `impossible time: second ${s} (seconds run 00-59)`
  return null
}

/**
 * Parse an ISO-8601 timestamp in buf[start, end). Returns null when the text is not shaped like one, a string
 * saying why when it is shaped like one but names a date or time that does not exist, else the parse (one reused
 * result object).
 */
export function parseIso(buf: Uint8Array, start: number, end: number): IsoParse | string | null {
  while (start < end && (buf[start] === 32 || buf[start] === 34)) start++
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 34)) end--
  const y = digitsAt(buf, start, 4, end)
  if (y < 0 || buf[start + 4] !== 45) return null
  const mo = digitsAt(buf, start + 5, 2, end)
  if (mo < 0 || buf[start + 7] !== 45) return null
  const d = digitsAt(buf, start + 8, 2, end)
  if (d < 0) return null
  let i = start + 10
  let h = 0
  let mi = 0
  let s = 0
  let frac = 0
  let fracDigits = false
  if (i < end && (buf[i] === 84 /* T */ || buf[i] === 32)) {
    h = digitsAt(buf, i + 1, 2, end)
    if (h < 0 || buf[i + 3] !== 58) return null
    mi = digitsAt(buf, i + 4, 2, end)
    if (mi < 0) return null
    i += 6
    if (i < end && buf[i] === 58) {
      s = digitsAt(buf, i + 1, 2, end)
      if (s < 0) return null
      i += 3
      if (i < end && (buf[i] === 46 || buf[i] === 44)) {
        i++
        let scale = 100
        while (i < end && buf[i] >= 48 && buf[i] <= 57) {
          if (buf[i] !== 48) fracDigits = true
          frac += (buf[i] - 48) * scale
          scale /= 10
          i++
        }
      }
    }
  }
  let offset: number | null = null
  if (i < end) {
    if (buf[i] === 90 /* Z */ && i + 1 === end) offset = 0
    else if (buf[i] === 43 || buf[i] === 45) {
      const sign = buf[i] === 45 ? -1 : 1
      const oh = digitsAt(buf, i + 1, 2, end)
      let om = 0
      if (i + 3 === end) om = 0
      else if (buf[i + 3] === 58) om = digitsAt(buf, i + 4, 2, end)
      else om = digitsAt(buf, i + 3, 2, end)
      if (oh < 0 || om < 0) return null
      offset = sign * (oh * 60 + om)
    } else return null
  }
  const impossible = impossibleDateTime(y, mo, d, h, mi, s)
  if (impossible !== null) return impossible
  isoOut.wallMs = daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + Math.round(frac)
  isoOut.offsetMinutes = offset
  isoOut.wholeMinute = s === 0 && !fracDigits
  return isoOut
}

/** Which epoch unit a number most plausibly is, by magnitude (dates between 1973 and 5138). */
export function epochUnitOf(value: number): DetectedFormat {
  const a = Math.abs(value)
  if (a >= 1e17) return 'epoch_ns'
  if (a >= 1e14) return 'epoch_us'
  if (a >= 1e11) return 'epoch_ms'
  return 'epoch_s'
}

export function epochToMs(value: number, unit: DetectedFormat): number {
  switch (unit) {
    case 'epoch_s':
      return Math.round(value * 1000)
    case 'epoch_ms':
      return Math.round(value)
    case 'epoch_us':
      return Math.round(value / 1000)
    case 'epoch_ns':
      return Math.round(value / 1e6)
    default:
      throw new Error(`not an epoch unit: ${unit}`)
  }
}

const UNITS_PER_MINUTE: Record<DetectedFormat, number> = {
  iso: 60_000,
  epoch_s: 60,
  epoch_ms: 60_000,
  epoch_us: 60_000_000,
  epoch_ns: 60_000_000_000,
}

/** Whether an epoch number falls on a whole minute, judged in its own unit (before rounding to ms hides a fraction). */
export function epochIsWholeMinute(value: number, unit: DetectedFormat): boolean {
  return value % UNITS_PER_MINUTE[unit] === 0
}

/**
 * Converts wall-clock times of a source timezone to UTC: `UTC`, a fixed offset like `+05:30` / `-05:00`, or an IANA
 * name like `America/New_York`. For IANA zones, offsets are cached per wall-clock hour. A wall time that occurs twice
 * (the hour repeated when clocks fall back) resolves to the earlier instant; one that never occurs (spring forward)
 * is shifted by the offset in force before the change, as most libraries do.
 */
export function wallToUtc(timezone: string): (wallMs: number) => number {
  const tz = timezone.trim()
  if (tz === 'UTC' || tz === 'Z' || tz === 'Etc/UTC') return (w) => w
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(tz)
  if (fixed) {
    const minutes = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]))
    return (w) => w - minutes * 60_000
  }
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    throw new Error(`unknown timezone "${timezone}": use UTC, an offset like -05:00, or an IANA name like America/New_York`)
  }
  /** Offset (ms) of the zone at a UTC instant. */
  const offsetAt = (utcMs: number): number => {
    const parts = format.formatToParts(new Date(utcMs))
    const get = (type: string) => Number(parts.find((p) => p.type === type)!.value)
    const asUtc =
      daysFromCivil(get('year'), get('month'), get('day')) * MS_PER_DAY +
      ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000
    return asUtc - Math.floor(utcMs / 1000) * 1000
  }
  const cache = new Map<number, number>()
  return (wallMs) => {
    const hour = Math.floor(wallMs / 3_600_000)
    let offset = cache.get(hour)
    if (offset === undefined) {
      const probe = hour * 3_600_000
      const before = offsetAt(probe - 86_400_000)
      const after = offsetAt(probe + 86_400_000)
      // Candidates: wall - offset for each offset in force around this day; take the earliest that maps back exactly.
      const candidates = [before, after].map((o) => probe - o).filter((u, k, all) => all.indexOf(u) === k)
      const valid = candidates.filter((u) => offsetAt(u) === probe - u).sort((a, b) => a - b)
      offset = valid.length > 0 ? probe - valid[0] : before
      cache.set(hour, offset)
    }
    return wallMs - offset
  }
}

/** Named timestamp formats; any other configured format is a strftime-style pattern (see compileTimestampPattern). */
export const NAMED_TIMESTAMP_FORMATS: readonly TimestampFormat[] = ['auto', 'iso', 'epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns']

export function namedTimestampFormat(format: string): TimestampFormat | null {
  return (NAMED_TIMESTAMP_FORMATS as readonly string[]).includes(format) ? (format as TimestampFormat) : null
}

/** A compiled timestamp pattern: reads wall-clock time from text laid out exactly as the pattern says. */
export interface TimestampPattern {
  readonly pattern: string
  /** Wall-clock ms (UTC as if), a string saying why the date or time does not exist, or null when the text does not match. */
  parse(buf: Uint8Array, start: number, end: number): { wallMs: number; wholeMinute: boolean } | string | null
}

/** The fields a pattern may hold: directive, width in digits, and its slot in [year, month, day, hour, minute, second]. */
const DIRECTIVES: Record<string, { width: number; slot: number }> = {
  Y: { width: 4, slot: 0 },
  m: { width: 2, slot: 1 },
  d: { width: 2, slot: 2 },
  H: { width: 2, slot: 3 },
  M: { width: 2, slot: 4 },
  S: { width: 2, slot: 5 },
}

/**
 * Compiles a strftime-style pattern of fixed-width fields: `%Y` (4-digit year), `%m`, `%d`, `%H`, `%M`, `%S` (2 digits
 * each), `%%` (a percent sign); any other character stands for itself. HistData's `20180102 170000` is
 * `%Y%m%d %H%M%S`. Year, month, day, hour and minute are required; seconds are optional. Returns a message when the
 * pattern is not valid, so a config with a bad one is refused at load.
 */
export function compileTimestampPattern(pattern: string): TimestampPattern | string {
  const steps: { literal: number; width: number; slot: number }[] = []
  const seen = new Set<string>()
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '%') {
      for (const byte of Buffer.from(pattern[i])) steps.push({ literal: byte, width: 0, slot: -1 })
      continue
    }
    const directive = pattern[++i]
    if (directive === '%') {
      steps.push({ literal: 37, width: 0, slot: -1 })
      continue
    }
    const known = directive === undefined ? undefined : DIRECTIVES[directive]
    if (!known) {
      return `timestamp format "${pattern}": unknown directive "%${directive ?? ''}"; use %Y %m %d %H %M %S (and %% for a percent sign)`
    }
    if (seen.has(directive)) return `timestamp format "${pattern}": %${directive} appears twice`
    seen.add(directive)
    steps.push({ literal: -1, ...known })
  }
  const missing = ['Y', 'm', 'd', 'H', 'M'].filter((d) => !seen.has(d))
  if (missing.length > 0) {
    return `timestamp format "${pattern}" lacks ${missing.map((d) => `%${d}`).join(' ')}; bars need year, month, day, hour and minute`
  }
  const fields = [0, 1, 1, 0, 0, 0]
  const out = { wallMs: 0, wholeMinute: true } // reused: one parse per line
  return {
    pattern,
    parse(buf, start, end) {
      while (start < end && (buf[start] === 32 || buf[start] === 34)) start++
      while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 34)) end--
      let i = start
      fields[5] = 0
      for (const step of steps) {
        if (step.slot < 0) {
          if (buf[i] !== step.literal || i >= end) return null
          i++
          continue
        }
        const v = digitsAt(buf, i, step.width, end)
        if (v < 0) return null
        fields[step.slot] = v
        i += step.width
      }
      if (i !== end) return null
      const [y, mo, d, h, mi, s] = fields
      const impossible = impossibleDateTime(y, mo, d, h, mi, s)
      if (impossible !== null) return impossible
      out.wallMs = daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000
      out.wholeMinute = s === 0
      return out
    },
  }
}
