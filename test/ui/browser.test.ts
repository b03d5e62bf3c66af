/**
 * `mlf ui` in a real headless browser (Debian's chromium, driven by puppeteer-core): the runs table with 500 runs,
 * filter and sort, the compare view of 3 runs, the sweep and report pages, no console errors, no request leaving
 * the machine; a screenshot of each page lands in test-output/ui/ for a person to look at. Skipped, saying so, only
 * where chromium is not installed (scripts/setup.sh installs it).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { buildUi } from '../../src/ui/build.js'
import { createUiServer, type UiServer } from '../../src/ui/server.js'
import { diffRuns } from '../../src/tracking/diff.js'
import { openRunStore } from '../../src/tracking/store.js'
import { queryRuns } from '../../src/tracking/query.js'
import { COLUMNS_BY_NAME } from '../../src/tracking/columns.js'
import { variedRun } from '../tracking/fixture.js'
import { repoRoot, tempDir } from '../helpers.js'
import { SWEEP_ID, uiStore } from './fixture.js'

/** What the page-side callbacks touch of an element (the tests compile without the DOM's types). */
interface El {
  textContent: string | null
  className: string
  value: string
  disabled: boolean
  dataset: Record<string, string>
  cells: El[]
}

const CHROMIUM = [process.env.MLF_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => typeof p === 'string' && existsSync(p),
)
const skip = CHROMIUM
  ? false
  : 'chromium is not installed (apt-get install chromium, as scripts/setup.sh does): skipped'
const SHOTS = join(repoRoot, 'test-output', 'ui')
const RUNS = 500

let browser: Browser
let server: UiServer
let url: string
let storePath: string

before(async () => {
  if (!CHROMIUM) return
  storePath = uiStore(RUNS)
  const bundle = await buildUi(join(tempDir('mlf-ui-bundle-'), 'ui'))
  server = createUiServer({ store: storePath, host: '127.0.0.1', port: 0, bundleDir: bundle, logLevel: 'silent' })
  url = await server.listen()
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  })
  mkdirSync(SHOTS, { recursive: true })
})

after(async () => {
  await browser?.close()
  await server?.close()
})

/** A page that records console errors, uncaught exceptions and failed requests, and aborts any non-loopback request. */
async function openPage(): Promise<{ page: Page; errors: string[]; blocked: string[] }> {
  const page = await browser.newPage()
  await page.setViewport({ width: 1400, height: 900 })
  const errors: string[] = []
  const blocked: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => errors.push(`page error: ${e instanceof Error ? e.message : String(e)}`))
  page.on('requestfailed', (r) => {
    if (!blocked.includes(r.url())) errors.push(`request failed: ${r.url()}`)
  })
  await page.setRequestInterception(true)
  page.on('request', (r) => {
    const u = new URL(r.url())
    const loopback =
      u.protocol === 'data:' || u.protocol === 'about:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
    if (loopback) void r.continue()
    else {
      blocked.push(r.url())
      void r.abort('blockedbyclient')
    }
  })
  return { page, errors, blocked }
}

async function visit(page: Page, hash: string, readyAs: string): Promise<void> {
  await page.goto(`${url}/${hash}`, { waitUntil: 'load' })
  await page.waitForSelector(`#app[data-ready="${readyAs}"]`, { timeout: 20_000 })
}

const rowIds = (page: Page) =>
  page.$$eval('#runs-table tbody tr', (trs) => trs.map((tr) => (tr as unknown as El).dataset.run))
async function columnValues(page: Page, column: string): Promise<string[]> {
  const head = await page.$$eval('#runs-table thead th', (ths) => ths.map((th) => (th as unknown as El).dataset.sort))
  const k = head.indexOf(column)
  return page.$$eval(
    '#runs-table tbody tr',
    (trs, k) => trs.map((tr) => (tr as unknown as El).cells[k].textContent!),
    k,
  )
}
const seriesOf = async (page: Page, id: string) =>
  JSON.parse(await page.$eval(id, (e) => (e as unknown as El).dataset.series)) as string[]

test(`runs table: ${RUNS} runs drawn within 1 s of navigation, no console errors`, { skip }, async (t) => {
  const { page, errors, blocked } = await openPage()
  await visit(page, '#/runs', 'runs')
  const drawnMs = await page.evaluate(() => (globalThis as unknown as { mlfRunsDrawnMs: number }).mlfRunsDrawnMs)
  assert.equal((await rowIds(page)).length, RUNS)
  assert.equal(await page.$eval('#run-count', (e) => e.textContent), String(RUNS))
  t.diagnostic(`${RUNS} runs drawn ${drawnMs.toFixed(0)} ms after navigation started`)
  assert.ok(drawnMs < 1000, `the table was drawn ${drawnMs.toFixed(0)} ms after navigation started`)
  await page.screenshot({ path: join(SHOTS, 'runs.png') })
  assert.deepEqual(errors, [])
  assert.deepEqual(blocked, [])
  await page.close()
})

test('runs table: the filter (server-side, --where syntax) and sorting by a header work', { skip }, async () => {
  const { page, errors } = await openPage()
  await visit(page, '#/runs', 'runs')
  const store = openRunStore(storePath, { readonly: true })
  const expected = queryRuns(store.db, {
    where: "sharpe > 1 and preset = 'tabular_stacking'",
    columns: [COLUMNS_BY_NAME.get('run_id')!],
  })
  store.close()
  assert.ok(expected.length > 5 && expected.length < RUNS)
  await page.$eval('#where', (e) => ((e as unknown as El).value = ''))
  await page.type('#where', "sharpe > 1 and preset = 'tabular_stacking'")
  await page.click('#filter-form button[type=submit]')
  await page.waitForFunction(`document.querySelectorAll('#runs-table tbody tr').length === ${expected.length}`)
  assert.deepEqual(
    await rowIds(page),
    expected.map((r) => r.run_id),
  )
  const sharpe = async () => (await columnValues(page, 'sharpe')).map(Number)
  assert.ok((await sharpe()).every((v) => v > 1))

  await page.click('th[data-sort="sharpe"]')
  const asc = await sharpe()
  assert.deepEqual(
    asc,
    [...asc].sort((a, b) => a - b),
  )
  await page.click('th[data-sort="sharpe"]')
  const desc = await sharpe()
  assert.deepEqual(desc, [...asc].reverse())
  assert.equal(await page.$eval('th[data-sort="sharpe"]', (e) => e.className), 'sortable num sorted-desc')
  await page.screenshot({ path: join(SHOTS, 'runs-filtered-sorted.png') })

  await page.$eval('#where', (e) => ((e as unknown as El).value = 'sharp > 1'))
  await page.click('#filter-form button[type=submit]')
  await page.waitForFunction(`document.querySelector('#where-error').textContent.includes('did you mean')`)
  assert.match(
    await page.$eval('#where-error', (e) => e.textContent!),
    /unknown column "sharp"[\s\S]*did you mean "sharpe"/,
  )
  // A failed request of the API answers 400: the browser logs it as a failed resource, the page itself reports it.
  assert.deepEqual(
    errors.filter((e) => !/status of 400/.test(e)),
    [],
  )
  await page.close()
})

test(
  'compare view of 3 runs: only differing config keys, 3 equity curves overlaid with and without costs',
  { skip },
  async () => {
    const { page, errors, blocked } = await openPage()
    await visit(page, '#/runs', 'runs')
    const picked = ['run-0005', 'run-0009', 'run-0013']
    for (const id of picked) await page.click(`input[data-pick="${id}"]`)
    assert.equal(await page.$eval('#compare', (b) => (b as unknown as El).disabled), false)
    await page.click('#compare')
    await page.waitForSelector('#app[data-ready="compare"]', { timeout: 20_000 })
    const shown = await page.$$eval('#config-diff tbody tr', (trs) => trs.map((tr) => tr.cells[0].textContent))
    const diff = diffRuns(['run-0009', 'run-0005', 'run-0013'].map((id) => variedRun(Number(id.slice(4)))))
    assert.deepEqual(
      shown,
      diff.config.map((r) => r.key),
    )
    assert.ok(!shown.includes('symbol') && !shown.includes('policy.kind'), 'keys all three share are not shown')
    const series = await seriesOf(page, '#chart-equity')
    assert.equal(series.filter((s) => s.endsWith(' net')).length, 3)
    assert.equal(series.filter((s) => s.endsWith(' gross')).length, 3)
    const dd = await seriesOf(page, '#chart-drawdown')
    assert.equal(dd.length, 6)
    const rel = await seriesOf(page, '#chart-reliability')
    assert.equal(rel.length, 1 + 3)
    assert.equal(await page.$$eval('[id^="chart-importance-"] canvas', (c) => c.length), 3)
    assert.equal(await page.$$eval('#metrics-side thead th', (c) => c.length), 1 + 3)
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true })
    assert.deepEqual(errors, [])
    assert.deepEqual(blocked, [])
    await page.close()
  },
)

test('sweeps, a sweep in parallel coordinates and a run report render offline without errors', { skip }, async () => {
  const { page, errors, blocked } = await openPage()
  await visit(page, '#/sweeps', 'sweeps')
  assert.equal(await page.$$eval('#sweeps-table tbody tr', (r) => r.length), 1)
  await page.screenshot({ path: join(SHOTS, 'sweeps.png') })
  await visit(page, `#/sweep/${SWEEP_ID}`, 'sweep')
  assert.equal(await page.$$eval('#trials-table tbody tr', (r) => r.length), 24)
  assert.equal((await page.$$eval('#chart-parallel canvas', (c) => c.length)) > 0, true)
  await page.screenshot({ path: join(SHOTS, 'sweep.png'), fullPage: true })
  await visit(page, '#/run/run-0003', 'run')
  const frame = page.frames().find((f) => f.url().endsWith('/runs/run-0003/report.html'))!
  assert.match(await frame.$eval('header h1', (e) => e.textContent!), /mlfactory run report/)
  assert.ok((await frame.$$eval('#chart-equity canvas', (c) => c.length)) > 0, 'the report draws its charts')
  await page.screenshot({ path: join(SHOTS, 'report.png') })
  assert.deepEqual(errors, [])
  assert.deepEqual(blocked, [], 'no page asked for anything beyond this server')
  await page.close()
})

test(
  'with every non-loopback request blocked, the pages still render and ask for nothing beyond this server',
  { skip },
  async () => {
    const { page, errors, blocked } = await openPage()
    // The block is in force: a navigation to another host (TEST-NET-1, never routed) is aborted before it leaves the machine.
    await assert.rejects(page.goto('http://192.0.2.1/'), /ERR_BLOCKED_BY_CLIENT/)
    assert.deepEqual(blocked, ['http://192.0.2.1/'])
    await visit(page, '#/runs', 'runs')
    assert.equal((await rowIds(page)).length, RUNS)
    // Inside the app, the page's own policy refuses other hosts before any request is made.
    const outside = await page.evaluate(() =>
      fetch('http://192.0.2.1/x').then(
        () => 'reached',
        () => 'refused',
      ),
    )
    assert.equal(outside, 'refused')
    await visit(page, '#/compare/run-0001,run-0002', 'compare')
    assert.ok((await page.$$eval('#chart-equity canvas', (c) => c.length)) > 0)
    await visit(page, `#/sweep/${SWEEP_ID}`, 'sweep')
    assert.deepEqual(blocked, ['http://192.0.2.1/'])
    assert.deepEqual(
      errors.filter((e) => !e.includes('192.0.2.1')),
      [],
    )
    await page.close()
  },
)
