/**
 * The runs table: every run of the store, filtered on the server (the `mlf runs --where` syntax), sorted here by a
 * click on a column header, with the columns a person picks (kept in localStorage); two to ten runs picked for the
 * compare view.
 */
import { getJson, type Column, type Row } from './api.js'
import { esc, fmt, ready, root } from './dom.js'
import { DEFAULT_LIST_COLUMNS } from '../../tracking/columns.js'

const STORAGE_KEY = 'mlf-ui-columns'

interface State {
  columns: Column[]
  rows: Row[]
  shown: string[]
  sort: { column: string; descending: boolean } | null
  where: string
  selected: Set<string>
  error: string
}

const state: State = {
  columns: [],
  rows: [],
  shown: loadShown(),
  sort: null,
  where: '',
  selected: new Set(),
  error: '',
}

function loadShown(): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as unknown
    if (Array.isArray(saved) && saved.every((s) => typeof s === 'string') && saved.length > 0) return saved
  } catch {
    // A value another version wrote: fall back to the default columns.
  }
  return [...DEFAULT_LIST_COLUMNS]
}

/** Numbers before text, nulls last whichever the direction. */
export function compareValues(a: Row[string], b: Row[string], descending: boolean): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1
  if (b === null || b === undefined) return -1
  const d = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))
  return descending ? -d : d
}

function sortedRows(): Row[] {
  const s = state.sort
  if (!s) return state.rows
  return state.rows.slice().sort((a, b) => compareValues(a[s.column], b[s.column], s.descending))
}

function tableHtml(): string {
  const cols = state.shown.filter((n) => state.columns.some((c) => c.name === n))
  const head = cols
    .map((n) => {
      const c = state.columns.find((x) => x.name === n)!
      const cls = state.sort?.column === n ? (state.sort.descending ? ' sorted-desc' : ' sorted-asc') : ''
      return `<th class="sortable${c.type === 'number' ? ' num' : ''}${cls}" data-sort="${esc(n)}" title="${esc(c.description)}">${esc(n)}</th>`
    })
    .join('')
  const body = sortedRows()
    .map((r) => {
      const id = String(r.run_id)
      const cells = cols
        .map((n) => {
          const v = r[n]
          if (n === 'run_id') return `<td><a href="#/run/${encodeURIComponent(id)}">${esc(id)}</a></td>`
          return `<td${typeof v === 'number' ? ' class="num"' : ''}>${esc(fmt(v))}</td>`
        })
        .join('')
      return `<tr data-run="${esc(id)}"><td><input type="checkbox" data-pick="${esc(id)}"${state.selected.has(id) ? ' checked' : ''}></td>${cells}</tr>`
    })
    .join('')
  return `<table id="runs-table"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>`
}

function draw(): void {
  const n = state.selected.size
  root().innerHTML = `<section>
  <h2>Runs <span class="muted" id="run-count">${state.rows.length}</span></h2>
  <form class="bar" id="filter-form">
    <input type="text" id="where" placeholder="filter, e.g. sharpe > 1 and preset = 'tabular_stacking'" value="${esc(state.where)}">
    <button type="submit">Filter</button>
    <button type="button" id="compare" ${n >= 2 && n <= 10 ? '' : 'disabled'}>Compare ${n} selected</button>
  </form>
  <div class="error" id="where-error">${esc(state.error)}</div>
  <details><summary>Columns</summary><div class="columns">${state.columns
    .map(
      (c) =>
        `<label title="${esc(c.description)}"><input type="checkbox" data-column="${esc(c.name)}"${state.shown.includes(c.name) ? ' checked' : ''}> ${esc(c.name)}</label>`,
    )
    .join('')}</div></details>
  <div class="scroll">${tableHtml()}</div>
</section>`
  const app = root()
  app.querySelector<HTMLFormElement>('#filter-form')!.addEventListener('submit', (e) => {
    e.preventDefault()
    void load(app.querySelector<HTMLInputElement>('#where')!.value)
  })
  app.querySelector('#compare')!.addEventListener('click', () => {
    location.hash = `#/compare/${[...state.selected].map(encodeURIComponent).join(',')}`
  })
  app.querySelectorAll<HTMLInputElement>('[data-column]').forEach((box) =>
    box.addEventListener('change', () => {
      const name = box.dataset.column!
      state.shown = box.checked
        ? state.columns.map((c) => c.name).filter((c) => c === name || state.shown.includes(c))
        : state.shown.filter((c) => c !== name)
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state.shown))
      redrawTable()
    }),
  )
  wireTable()
}

function redrawTable(): void {
  root().querySelector('.scroll')!.innerHTML = tableHtml()
  wireTable()
}

function wireTable(): void {
  const app = root()
  app.querySelectorAll<HTMLElement>('th[data-sort]').forEach((th) =>
    th.addEventListener('click', () => {
      const column = th.dataset.sort!
      state.sort = { column, descending: state.sort?.column === column ? !state.sort.descending : false }
      redrawTable()
    }),
  )
  app.querySelectorAll<HTMLInputElement>('[data-pick]').forEach((box) =>
    box.addEventListener('change', () => {
      if (box.checked) state.selected.add(box.dataset.pick!)
      else state.selected.delete(box.dataset.pick!)
      const n = state.selected.size
      const button = app.querySelector<HTMLButtonElement>('#compare')!
      button.disabled = n < 2 || n > 10
      button.textContent = `Compare ${n} selected`
    }),
  )
}

async function load(where: string): Promise<void> {
  state.where = where
  try {
    const data = await getJson<{ columns: Column[]; rows: Row[] }>(`/api/runs?where=${encodeURIComponent(where)}`)
    state.columns = data.columns
    state.rows = data.rows
    state.error = ''
  } catch (err) {
    state.error = (err as Error).message
  }
  draw()
  ready('runs')
}

export async function runsPage(): Promise<void> {
  await load(state.where)
  ;(window as unknown as { mlfRunsDrawnMs?: number }).mlfRunsDrawnMs = performance.now()
}
