import { kernelDef, type KernelDef } from './kernel.js'

const DAY_MS = 86_400_000
const MINUTE_MS = 60_000

/**
 * Calendar and session position from the bar's open time (UTC): minute of day as sin/cos, day of week (0 = Sunday),
 * and minutes since the session opened. A session opens at the first bar after a pause of at least `sessionGapMinutes`
 * (exchange breaks, weekends) or, for markets that never pause (crypto), at the first bar of a UTC day once the
 * session is at least 20 hours old. Both rules look only at past and current timestamps.
 */
export function calendarDef(sessionGapMinutes: number): KernelDef {
  return kernelDef('calendar', ['minute_sin', 'minute_cos', 'dow', 'session_minutes'], 1, { sessionGapMinutes }, () => {
    const gapMs = sessionGapMinutes * MINUTE_MS
    let lastTs = Number.NaN
    let sessionStart = Number.NaN
    return {
      update(bar, out, at) {
        const ts = bar.ts
        const day = Math.floor(ts / DAY_MS)
        const newDay = day !== Math.floor(lastTs / DAY_MS)
        if (!(ts - lastTs < gapMs) || (newDay && ts - sessionStart >= 20 * 60 * MINUTE_MS)) sessionStart = ts
        lastTs = ts
        const minute = Math.floor((ts - day * DAY_MS) / MINUTE_MS)
        const angle = (2 * Math.PI * minute) / 1440
        out[at] = Math.sin(angle)
        out[at + 1] = Math.cos(angle)
        out[at + 2] = (((day + 4) % 7) + 7) % 7
        out[at + 3] = (ts - sessionStart) / MINUTE_MS
      },
    }
  })
}
