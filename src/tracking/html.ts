/**
 * The pieces of mlfactory's self-contained HTML reports (the run report, the drift report): escaping, tables,
 * sections, chart slots, the inlined echarts library and the page style. Text is always escaped; chart data goes into
 * a non-executable JSON script element (`scriptJson`) that the page reads with JSON.parse.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

let echartsSource: string | undefined
export function echartsScript(): string {
  if (echartsSource === undefined) {
    const path = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js')
    // A literal "</script" inside the library would end the inline element early; "<\/" means the same to JS.
    echartsSource = readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script')
  }
  return echartsSource
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** JSON safe to place inside a <script> element: no "<", and no JS line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞'
  if (Number.isInteger(x)) return x.toLocaleString('en-US')
  const a = Math.abs(x)
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3)
  return x.toLocaleString('en-US', { maximumSignificantDigits: 5 })
}

export type Cell = string | number | { html: string }

function cell(c: Cell, tag: 'td' | 'th'): string {
  if (typeof c === 'number') return `<${tag} class="num">${escapeHtml(fmt(c))}</${tag}>`
  if (typeof c === 'string') return `<${tag}>${escapeHtml(c)}</${tag}>`
  return `<${tag}>${c.html}</${tag}>`
}

export function table(head: readonly Cell[], rows: readonly (readonly Cell[])[], cls = ''): string {
  const thead = `<thead><tr>${head.map((h) => cell(h, 'th')).join('')}</tr></thead>`
  const tbody = `<tbody>${rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('')}</tbody>`
  return `<table${cls ? ` class="${cls}"` : ''}>${thead}${tbody}</table>`
}

export function code(text: string): { html: string } {
  return { html: `<code>${escapeHtml(text)}</code>` }
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`
}

export function absent(id: string, title: string, note: string): string {
  return section(id, title, `<p class="absent">${escapeHtml(note)}</p>`)
}

export function chart(id: string, height: number): string {
  return `<div class="chart" id="${id}" style="height:${height}px"></div>`
}

export const STYLE = `
:root { --fg: #1d2433; --muted: #6b7280; --line: #e5e7eb; --accent: #2f6fdf; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #1d2433; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #c7cdd8; }
nav { padding: 8px 32px; background: #fff; border-bottom: 1px solid var(--line); }
nav a { color: var(--accent); text-decoration: none; margin-right: 16px; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { margin: 0 0 12px; font-size: 18px; }
h3 { margin: 16px 0 8px; font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td:first-child { color: var(--muted); }
table.kv td.num { text-align: left; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: 12.5px; word-break: break-all; }
pre { background: #f3f4f6; padding: 12px; border-radius: 6px; overflow: auto; max-height: 400px; }
.chart { width: 100%; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.absent { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
table.nowrap td { white-space: nowrap; }
`

/**
 * Browser-side prelude of every report's chart script: `data` (the page's chart data), `make(id, option)` (an echarts
 * chart in the element `id`, if the page has it, without animation) and `palette`; charts follow the window's size.
 */
const CHART_PRELUDE = `
  var data = JSON.parse(document.getElementById('mlf-chart-data').textContent);
  var charts = [];
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var c = echarts.init(el);
    option.animation = false;
    c.setOption(option);
    charts.push(c);
  }
  var palette = ['#2f6fdf', '#e4572e', '#17a398', '#f3a712', '#7d5ba6', '#5c6b73'];
`

export interface Page {
  readonly title: string
  readonly heading: string
  readonly subtitle: string
  /** Each a `section(...)`; the navigation bar links to each by its id and title. */
  readonly sections: readonly string[]
  readonly charts: unknown
  /** Browser code drawing the charts (after CHART_PRELUDE). */
  readonly chartScript: string
}

/** A complete, self-contained HTML document: header, navigation, sections, echarts inlined, chart data as JSON. */
export function renderPage(page: Page): string {
  const nav = page.sections
    .map((s) => /^<section id="([a-z0-9-]+)"><h2>([^<]*)<\/h2>/.exec(s))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `<a href="#${m[1]}">${m[2]}</a>`)
    .join('')
  const script = `(function () {${CHART_PRELUDE}${page.chartScript}
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
<script>${echartsScript()}</script>
</head>
<body>
<header><h1>${escapeHtml(page.heading)}</h1><p>${escapeHtml(page.subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${page.sections.join('\n')}
</main>
<script type="application/json" id="mlf-chart-data">${scriptJson(page.charts)}</script>
<script>${script}</script>
</body>
</html>
`
}
