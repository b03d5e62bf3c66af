import type { ValidationReport } from '../data/validate.js'

/** A two-column table for terminal summaries. */
export function table(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')
}

export function validationSummary(report: ValidationReport, inline = 10): string {
  const g = report.gaps
  const rows: [string, string | number][] = [
    ['file', report.file],
    ['rows (before policy)', report.rows],
    ['rows (after policy)', report.rows_out],
    ['first bar', report.first_ts ?? '-'],
    ['last bar', report.last_ts ?? '-'],
    [
      'bar interval',
      report.interval.detected === null
        ? `${report.interval.configured} (too few bars to tell)`
        : `${report.interval.configured} (most common step ${report.interval.detected}, ${Math.floor((report.interval.share ?? 0) * 1000) / 10}% of steps)`,
    ],
    ['volume', report.has_volume ? 'present' : 'absent (volume features use neutral values)'],
    ['backward steps', report.backward_steps],
    [
      'duplicate timestamps',
      `${report.duplicates.timestamps} (${report.duplicates.exact} exact rows, ${report.duplicates.conflicting} conflicting rows)`,
    ],
    ['OHLC violations', report.ohlc_violations],
    ['bad prices', report.bad_prices],
    ['bad volumes', report.bad_volumes],
    ['missing volume', report.missing_volume],
    ['gaps: intraday', `${g.intraday} (${g.missing_minutes.intraday} min)`],
    ['gaps: session breaks', `${g.session_break} (${g.missing_minutes.session_break} min)`],
    ['gaps: weekends', `${g.weekend} (${g.missing_minutes.weekend} min)`],
    ['gaps: holidays', `${g.holiday} (${g.missing_minutes.holiday} min)`],
    ['longest gap', `${g.longest_minutes} min`],
    ['dropped / repaired', `${report.dropped} / ${report.repaired}`],
    ['fingerprint (sha256)', report.fingerprint],
  ]
  const notable = report.findings.filter((f) => f.kind !== 'gap')
  const lines = [table(rows)]
  if (notable.length > 0) {
    lines.push(`  findings (first ${Math.min(inline, notable.length)} of ${notable.length}, all in the JSON report):`)
    for (const f of notable.slice(0, inline)) {
      lines.push(`    ${report.row_kind} ${f.row}  ${f.ts}  ${f.kind}  ${f.action}: ${f.detail}`)
    }
  }
  return lines.join('\n')
}

/** A table with a header row, the first column left-aligned and the rest right-aligned (numbers). */
export function grid(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const all = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  return all
    .map((r) => `  ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ')}`)
    .join('\n')
}
