/** Small DOM helpers: escaped HTML from strings, number formatting, and the page's root. */

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A number to 4 significant digits (whole numbers as they are); null as an en dash. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined) return '–'
  if (typeof v !== 'number') return String(v)
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)))
}

export function root(): HTMLElement {
  return document.getElementById('app')!
}

/** Mark the page as drawn (tests and people waiting on it look for data-ready). */
export function ready(page: string): void {
  root().dataset.ready = page
}

export function section(title: string, body: string, id = ''): string {
  return `<section${id ? ` id="${esc(id)}"` : ''}><h2>${esc(title)}</h2>${body}</section>`
}

export function table(head: readonly string[], rows: readonly (readonly string[])[], attrs = ''): string {
  return `<table ${attrs}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}
