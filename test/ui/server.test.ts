import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import { createUiServer } from '../../src/ui/server.js'
import { minMaxLast, UI_COLUMNS } from '../../src/ui/data.js'
import { buildUi } from '../../src/ui/build.js'
import { SWEEP_ID, uiStore } from './fixture.js'
import { tempDir } from '../helpers.js'
import { join } from 'node:path'

const bundle = buildUi(join(tempDir('mlf-ui-bundle-'), 'ui'))

async function server(runs = 12) {
  const store = uiStore(runs)
  const s = createUiServer({ store, host: '127.0.0.1', port: 0, bundleDir: await bundle, logLevel: 'silent' })
  return { s, store }
}

test('ui api: the runs table, filtered on the server, with min/max/last over walk-forward windows', async () => {
  const { s } = await server()
  try {
    const all = await s.app.inject('/api/runs')
    assert.equal(all.statusCode, 200)
    const body = all.json() as { columns: { name: string }[]; rows: Record<string, unknown>[] }
    assert.equal(body.rows.length, 12)
    assert.deepEqual(
      body.columns.map((c) => c.name),
      UI_COLUMNS.map((c) => c.name),
    )
    const wf = body.rows.find((r) => r.evaluation === 'walk_forward')!
    assert.equal(typeof wf.wf_sharpe_min, 'number')
    assert.ok((wf.wf_sharpe_min as number) <= (wf.wf_sharpe_last as number))
    assert.ok((wf.wf_sharpe_last as number) <= (wf.wf_sharpe_max as number))
    assert.equal(body.rows.find((r) => r.evaluation === 'chronological')!.wf_sharpe_min, null)
    const some = (await s.app.inject(`/api/runs?where=${encodeURIComponent("preset = 'walk_forward'")}`)).json()
    assert.deepEqual(
      some.rows.map((r: { run_id: string }) => r.run_id),
      ['run-0011', 'run-0007', 'run-0003'],
    )
    const bad = await s.app.inject(`/api/runs?where=${encodeURIComponent('sharp > 1')}`)
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json().error, /unknown column "sharp"[\s\S]*did you mean "sharpe"/)
  } finally {
    await s.close()
  }
})

test('ui api: compare gives only what differs, curves with and without costs; bad requests get 400 or 404', async () => {
  const { s } = await server()
  try {
    const c = (await s.app.inject('/api/compare?ids=run-0001,run-0002,run-0005')).json()
    assert.deepEqual(c.runIds, ['run-0001', 'run-0002', 'run-0005'])
    assert.ok(c.config.length > 0)
    for (const row of c.config) assert.ok(new Set(row.values.map(String)).size > 1, row.key)
    assert.ok(!c.config.some((r: { key: string }) => r.key === 'symbol'), 'a key all share is not shown')
    assert.equal(c.runs.length, 3)
    for (const r of c.runs) {
      assert.equal(r.curves.net.length, r.curves.ts.length)
      assert.equal(r.curves.gross.length, r.curves.ts.length)
      assert.ok(r.reliability.after.length > 0)
      assert.ok(r.featureImportance.length > 0 && r.featureImportance.length <= 15)
    }
    assert.equal((await s.app.inject('/api/compare?ids=run-0001')).statusCode, 400)
    assert.match(
      (await s.app.inject(`/api/compare?ids=${Array.from({ length: 11 }, (_, i) => `run-000${i}`).join(',')}`)).json()
        .error,
      /compare takes 2 to 10 runs, got 11/,
    )
    assert.equal((await s.app.inject('/api/compare?ids=run-0001,nope')).statusCode, 404)
    assert.equal((await s.app.inject('/runs/nope/report.html')).statusCode, 404)
  } finally {
    await s.close()
  }
})

test('ui api: a sweep gives log axes for log-uniform parameters and min/max/last of each learning curve', async () => {
  const { s } = await server(2)
  try {
    const list = (await s.app.inject('/api/sweeps')).json()
    assert.deepEqual(
      list.map((x: { sweepId: string; trials: number }) => [x.sweepId, x.trials]),
      [[SWEEP_ID, 24]],
    )
    const sw = (await s.app.inject(`/api/sweeps/${SWEEP_ID}`)).json()
    assert.deepEqual(
      sw.axes.map((a: { kind: string }) => a.kind),
      ['log', 'value', 'category'],
    )
    assert.deepEqual(sw.axes[2].categories, ['"xgboost_leafwise"', '"xgboost"'])
    const t = sw.trials[0]
    assert.equal(t.curves.xgboost.steps, 10)
    assert.ok(t.curves.xgboost.min <= t.curves.xgboost.last && t.curves.xgboost.last <= t.curves.xgboost.max)
    assert.equal(sw.trials.filter((x: { status: string }) => x.status === 'failed').length, 2)
    assert.equal((await s.app.inject('/api/sweeps/nope')).statusCode, 404)
  } finally {
    await s.close()
  }
})

test('ui server: read-only on the store; the page, the bundle and the reports carry a CSP that allows only itself', async () => {
  const { s, store } = await server(3)
  try {
    const before = statSync(store).mtimeMs
    const page = await s.app.inject('/')
    assert.match(page.body, /<script type="module" src="\/ui\/main.js"><\/script>/)
    assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; script-src 'self'/)
    assert.ok(!/https?:\/\//.test(page.body), 'the page names no other host')
    const main = await s.app.inject('/ui/main.js')
    assert.equal(main.statusCode, 200)
    assert.ok(main.body.length < 100_000, 'the runs page starts without echarts')
    const chunks = readdirSync(await bundle).filter((f) => f.startsWith('chunk-') && f.endsWith('.js'))
    const sizes = await Promise.all(chunks.map(async (c) => (await s.app.inject(`/ui/${c}`)).body.length))
    assert.ok(Math.max(...sizes) > 500_000, 'echarts is bundled, in a chunk of its own')
    assert.equal((await s.app.inject('/ui/..%2Fmain.js')).statusCode, 404)
    const report = await s.app.inject('/runs/run-0001/report.html')
    assert.match(report.body, /^<!doctype html>/)
    assert.match(report.headers['content-security-policy'] as string, /^default-src 'none'/)
    assert.throws(() => s.store.db.exec('DELETE FROM runs'), /readonly/)
    assert.equal(statSync(store).mtimeMs, before)
  } finally {
    await s.close()
  }
  assert.throws(
    () => createUiServer({ store, host: '127.0.0.1', port: 0, bundleDir: '/nonexistent' }),
    /the browser app is not built \(\/nonexistent\/main.js is missing\): run npm run build/,
  )
})

test('minMaxLast: over the finite values only; null without any', () => {
  assert.deepEqual(minMaxLast([3, NaN, 1, undefined, 2]), { min: 1, max: 3, last: 2 })
  assert.equal(minMaxLast([NaN, undefined]), null)
})
