/**
 * Drift monitoring on the built-in sample (Binance FIL/USDT 1-minute bars) with the bundle of a quick run: what the
 * bundle's reference holds, no alert on a held-back sample of the training distribution, an alert within the window
 * on planted shifts (a trend added to the returns; volatility doubled), `mlf drift` and the live monitor agreeing on
 * the same rows, and a damaged reference refused by name.
 *
 * Why the held-back rows are a random sample and are pushed in random order: real markets drift from day to day (the
 * volatility of one day is not the mixture of three weeks), so any contiguous slice of the sample, even one inside
 * the training window, differs from the reference by more than PSI 0.25 on the slow features; `mlf drift` on the
 * sample shows it. A random half of the validation rows, held out of the reference, is a sample of the training
 * distribution itself, which is what must never alert.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, REFERENCE_FILE, scoreWithBundle, type Scored } from '../../src/pipeline/bundle.js'
import { outputColumns } from '../../src/pipeline/predict.js'
import { createRunContext } from '../../src/pipeline/stages/context.js'
import { datasetStage, ingestStage } from '../../src/pipeline/stages/dataset.js'
import { chronologicalWindow } from '../../src/pipeline/stages/windows.js'
import { referenceRows } from '../../src/pipeline/stages/reference.js'
import { ingestFile } from '../../src/data/ingest.js'
import { barAt, sliceBars, type Bars } from '../../src/data/bars.js'
import { createFeatureEngine, planFeatures } from '../../src/features/engine.js'
import { baseInterval, originMs } from '../../src/config/schema.js'
import { buildReference, type DriftReference } from '../../src/monitor/reference.js'
import { createDriftMonitor, type DriftStatus } from '../../src/monitor/monitor.js'
import type { DriftEvent } from '../../src/monitor/events.js'
import type { DriftReport } from '../../src/monitor/batch.js'
import { seededRandom } from '../../src/core/random.js'
import { shuffled } from '../../src/pipeline/dataset.js'
import { repoRoot, SAMPLE, tempDir } from '../helpers.js'
import { sampleSlice, smallConfig } from '../pipeline/fixture.js'
import { replaceArtifact } from '../bundle/reseal.js'
import { assertSameStatus } from './vectors.js'

const ROWS = 16_000
/** The configured window: 12 hours of 1-minute rows. */
const WINDOW = 720

const fixture = (async () => {
  const data = await sampleSlice(ROWS)
  // A long validation slice: half of it is held back from the reference in the tests below.
  const config = smallConfig({
    monitor: { window: '12h' },
    splits: { chronological: { train: 0.5, val: 0.35, test: 0.15 } },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  const scored = await scoreWithBundle(bundle, data)
  const ctx = createRunContext(config, {})
  const window = chronologicalWindow(config, datasetStage(ctx, await ingestStage(ctx, data)))
  return { data, config, run, bundle, scored, window }
})()

/** Features and outputs of scored rows by bar time, for taking any subset of rows. */
function rowsOf(scored: Scored) {
  const at = new Map<number, number>()
  scored.rows.forEach((r, i) => at.set(scored.frame.ts[r], i))
  const outputs = outputColumns(scored.p, scored.heads)
  return {
    /** Position among the scored rows of the bar at `ts`. */
    at: (ts: number) => {
      const i = at.get(ts)
      if (i === undefined) throw new Error(`bar ${new Date(ts).toISOString()} was not scored`)
      return i
    },
    ts: (i: number) => scored.frame.ts[scored.rows[i]],
    features: (i: number) => scored.frame.columns.map((c) => c[scored.rows[i]]),
    outputs: (i: number) => Object.fromEntries(outputs.map((o) => [o.name, o.values[i]])),
    /** Every feature over `positions`, with its span, as the pack stage gives them to buildReference. */
    featureColumns: (positions: readonly number[]) => ({
      from: scored.frame.ts[scored.rows[positions[0]]],
      to: scored.frame.ts[scored.rows[positions[positions.length - 1]]],
      columns: scored.frame.names.map((name, j) => ({
        name,
        group: scored.frame.specs[j].group,
        values: Float64Array.from(positions, (i) => scored.frame.columns[j][scored.rows[i]]),
      })),
    }),
    outputColumns: (positions: readonly number[]) => ({
      from: scored.frame.ts[scored.rows[positions[0]]],
      to: scored.frame.ts[scored.rows[positions[positions.length - 1]]],
      columns: outputs.map((o) => ({ name: o.name, values: Float64Array.from(positions, (i) => o.values[i]) })),
    }),
  }
}

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x))

test("the bundle's reference: features on the training and validation rows, outputs on the validation rows, never a test row", async () => {
  const { bundle, scored, window } = await fixture
  const reference = bundle.reference!
  assert.ok(reference, 'the bundle has no reference')
  const rows = rowsOf(scored)
  const ts = scored.frame.ts
  const positions = (r: Int32Array) => [...r].map((x) => rows.at(ts[x]))
  // Recomputed from the reloaded bundle's own scoring: exactly what pack stored (outputs included, bit for bit).
  const expected = buildReference({
    interval: '1m',
    bins: 10,
    features: rows.featureColumns(positions(referenceRows(window))),
    outputs: rows.outputColumns(positions(window.val)),
  })
  assert.deepEqual(reference, json(expected))
  assert.equal(reference.features.rows, window.train.length + window.val.length)
  assert.equal(reference.outputs.rows, window.val.length)
  assert.equal(reference.outputs.from, new Date(ts[window.val[0]]).toISOString())
  for (const set of [reference.features, reference.outputs])
    assert.ok(Date.parse(set.to) < ts[window.test[0]], 'the reference reaches into the test rows')
  assert.deepEqual(
    reference.features.columns.map((c) => c.name),
    bundle.manifest.feature_schema.names,
  )
  assert.deepEqual(
    reference.outputs.columns.map((o) => o.name),
    ['p_down', 'p_flat', 'p_up'],
  )
  assert.ok(Object.hasOwn(bundle.manifest.files, REFERENCE_FILE), 'the reference is not checksummed in the manifest')
  assert.equal(bundle.manifest.bundle_version, '3.2.0')
})

test('leakage: bars after the validation rows (the test period) changed, the reference is the same, byte for byte', async () => {
  const { config, run, window, scored } = await fixture
  const { bars } = await ingestFile(SAMPLE)
  const cut = window.test[0]
  const rand = seededRandom(99)
  const perturbed = withPrices(sliceBars(bars, 0, ROWS), (i, p) => (i > cut ? p * (0.9 + 0.2 * rand()) : p), true)
  const other = await runPipeline({ config, dataFile: perturbed, outDir: tempDir() })
  const file = (dir: string) => readFileSync(join(dir, REFERENCE_FILE))
  assert.ok(file(other.bundleDir).equals(file(run.bundleDir)))
  // The perturbation did reach the test rows' features.
  const changed = await scoreWithBundle(await loadBundle(other.bundleDir), perturbed)
  assert.notDeepEqual(changed.p, scored.p)
})

/**
 * `bars` with every price of bar i mapped by `f(i, price)` (one factor per bar when `perBar`: OHLC stay consistent),
 * as a gzipped CSV.
 */
function withPrices(bars: Bars, f: (i: number, p: number) => number, perBar = false): string {
  const lines = ['ts_utc,open,high,low,close,volume']
  for (let i = 0; i < bars.length; i++) {
    let o: number, h: number, l: number, c: number
    if (perBar) {
      const k = f(i, 1)
      ;[o, h, l, c] = [bars.open[i] * k, bars.high[i] * k, bars.low[i] * k, bars.close[i] * k]
    } else [o, h, l, c] = [f(i, bars.open[i]), f(i, bars.high[i]), f(i, bars.low[i]), f(i, bars.close[i])]
    lines.push(`${new Date(bars.ts[i]).toISOString()},${o},${h},${l},${c},${bars.volume[i]}`)
  }
  const path = join(tempDir(), 'bars.csv.gz')
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}

/** A seeded permutation of row positions (the run's own shuffle: core/random.ts and Fisher-Yates). */
const permuted = (xs: readonly number[], seed: number): number[] => [...shuffled(Float64Array.from(xs), seed)]

/**
 * A random half of the validation rows held back, and a reference built (as pack builds one, with the bundle's bins)
 * over the other half, features and outputs alike: both halves are samples of one distribution, that of the
 * validation slice. (The bundle's own feature reference also spans the training rows, days earlier, which this slice
 * need not resemble: see the comment at the top.)
 */
async function heldBack() {
  const { bundle, scored, window } = await fixture
  const rows = rowsOf(scored)
  const val = permuted(
    [...window.val].map((r) => rows.at(scored.frame.ts[r])),
    7,
  )
  const held = val.slice(0, val.length >> 1)
  const kept = val.slice(val.length >> 1).sort((a, b) => a - b)
  const reference = buildReference({
    interval: '1m',
    bins: bundle.config.monitor.bins,
    features: rows.featureColumns(kept),
    outputs: rows.outputColumns(kept),
  })
  return { reference, held, rows }
}

type Rows = ReturnType<typeof rowsOf>

function pushRows(
  monitor: ReturnType<typeof createDriftMonitor>,
  rows: Rows,
  positions: readonly number[],
): DriftEvent[] {
  return positions.flatMap((i) => [...monitor.push(rows.features(i), rows.outputs(i), rows.ts(i))])
}

test('no alert on a held-back sample of the training distribution (3 windows of it, pushed one row at a time)', async () => {
  const { bundle } = await fixture
  const { reference, held, rows } = await heldBack()
  assert.ok(held.length >= 3 * WINDOW, `${held.length} held-back rows`)
  const monitor = createDriftMonitor(reference, bundle.config.monitor)
  assert.equal(monitor.windowRows, WINDOW)
  const events = pushRows(monitor, rows, held)
  assert.deepEqual(
    events.map((e) => `${e.column} ${e.level} ${e.psi}`),
    [],
  )
  const status = monitor.status()
  assert.equal(status.state, 'ok')
  const worst = Math.max(...status.columns.filter((c) => !c.excluded).map((c) => c.psi))
  assert.ok(worst < 0.1, String(worst))
  assertFinite(status)
})

/** Every number in `x` is finite. */
function assertFinite(x: unknown, path = '$'): void {
  if (typeof x === 'number') assert.ok(Number.isFinite(x), `${path} is ${x}`)
  else if (Array.isArray(x)) x.forEach((v, i) => assertFinite(v, `${path}[${i}]`))
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) assertFinite(v, `${path}.${k}`)
}

/** 1-minute log return standard deviation of the slice. */
function returnStd(bars: Bars): number {
  let s = 0
  let ss = 0
  for (let i = 1; i < bars.length; i++) {
    const r = Math.log(bars.close[i] / bars.close[i - 1])
    s += r
    ss += r * r
  }
  const n = bars.length - 1
  return Math.sqrt(ss / n - (s / n) ** 2)
}

for (const shift of ['a trend of a quarter of the return std per bar (mean shift)', 'volatility doubling'] as const) {
  test(`an alert within the configured window on a planted shift: ${shift}`, async () => {
    const { bundle } = await fixture
    const { reference, held, rows } = await heldBack()
    const bars = sliceBars((await ingestFile(SAMPLE)).bars, 0, ROWS)
    const first = bars.close[0]
    const file = shift.startsWith('volatility')
      ? // Every log price twice as far from the first close: every return (and every bar's range) doubled.
        withPrices(bars, (_, p) => first * (p / first) ** 2)
      : withPrices(bars, (i) => Math.exp(0.25 * returnStd(bars) * i), true)
    const shifted = rowsOf(await scoreWithBundle(bundle, file))
    const monitor = createDriftMonitor(reference, bundle.config.monitor)
    const before = pushRows(monitor, rows, held.slice(0, 2 * WINDOW))
    assert.deepEqual(before, [])
    // The same bars, shifted, from now on.
    const after = pushRows(
      monitor,
      shifted,
      permuted(held, 8).map((i) => shifted.at(rows.ts(i))),
    )
    const alert = after.find((e) => e.level === 'alert')
    assert.ok(alert, 'no alert')
    assert.ok(alert.row <= 2 * WINDOW + WINDOW, `the first alert came ${alert.row - 2 * WINDOW} rows after the shift`)
    const alerted = new Set(after.filter((e) => e.row <= 3 * WINDOW && e.level === 'alert').map((e) => e.column))
    const expect = shift.startsWith('volatility')
      ? /^(atr|rv|parkinson|garman_klass|rogers_satchell|ret_std)_1m$/
      : /^(rsi|roc|ret_mean)_1m$/
    assert.ok(
      [...alerted].some((c) => expect.test(c)),
      [...alerted].join(', '),
    )
    assertFinite(monitor.status())
  })
}

const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 300_000 })

test('mlf drift (batch) and the live monitor (feature engine one bar at a time, mlf predict outputs) agree on the same rows', async () => {
  const { run, bundle, config, data } = await fixture
  const dir = tempDir()
  const [report, html, preds] = ['r.json', 'r.html', 'p.csv'].map((f) => join(dir, f))
  const r = mlf(
    'drift',
    '--bundle',
    run.bundleDir,
    '--data',
    data,
    '--window',
    '6h',
    '--step',
    '2h',
    '--json',
    report,
    '--html',
    html,
  )
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /window 360 rows, a status every 120; PSI 0\.1 warn, 0\.25 alert/)
  assert.match(r.stdout, /events: \d+ \(\d+ alerts\); state at the last row: (ok|warn|alert)/)
  assert.ok(readFileSync(html, 'utf8').includes('<section id="features">'))
  const batch = JSON.parse(readFileSync(report, 'utf8')) as DriftReport
  const p = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds)
  assert.equal(p.status, 0, p.stderr)
  const predicted = new Map(
    readFileSync(preds, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [ts, down, flat, up] = line.split(',')
        return [Date.parse(ts), { p_down: Number(down), p_flat: Number(flat), p_up: Number(up) }] as const
      }),
  )
  // Live: the bars pushed one at a time through the streaming feature engine, as the server does.
  const { bars } = await ingestFile(data, config.data)
  const engine = createFeatureEngine(
    planFeatures(config.features, bundle.manifest.feature_schema.volume_mode, originMs(config), baseInterval(config)),
  )
  const events: DriftEvent[] = []
  const monitor = createDriftMonitor(
    bundle.reference!,
    { ...bundle.config.monitor, window: '6h' },
    { onEvent: (e) => events.push(e) },
  )
  const checkpoints = new Map(batch.checkpoints.map((c) => [c.row, c]))
  let compared = 0
  let pushed = 0
  let last: DriftStatus | null = null
  for (let i = 0; i < bars.length; i++) {
    const bar = barAt(bars, i)
    engine.push(bar)
    const outputs = predicted.get(bar.ts)
    if (!outputs) continue
    monitor.push(engine.row, outputs, bar.ts)
    const cp = checkpoints.get(++pushed)
    if (!cp) continue
    last = monitor.status()
    assertSameStatus(cp, last)
    compared++
  }
  assert.equal(compared, batch.checkpoints.length)
  assert.ok(compared > 10)
  assert.equal(pushed, batch.rows)
  assert.equal(last!.seen, batch.rows)
  assert.deepEqual(events, batch.events)
  assert.deepEqual(json(last), batch.last)
})

test('a damaged or foreign reference is refused on load by name; a bad --window or --step is refused', async () => {
  const { run, data } = await fixture
  const copy = () => {
    const dir = join(tempDir(), 'bundle')
    cpSync(run.bundleDir, dir, { recursive: true })
    return dir
  }
  const original = JSON.parse(readFileSync(join(run.bundleDir, REFERENCE_FILE), 'utf8')) as DriftReference
  const cases: [(r: DriftReference) => void, RegExp][] = [
    [
      (r) => (r.features.columns[3].counts[2] += 1),
      /drift\/reference\.json is invalid at features\.columns\.3\.counts/,
    ],
    [(r) => r.features.columns.pop(), /drift\/reference\.json: its features are not the bundle's feature schema/],
    [
      (r) => (r.outputs.columns[0].name = 'p_dn'),
      /its outputs \(p_dn, p_flat, p_up\) are not the bundle's \(p_down, p_flat, p_up\)/,
    ],
    [(r) => (r.interval = '5m'), /made on 5m bars, the bundle scores 1m bars/],
  ]
  for (const [edit, message] of cases) {
    const dir = copy()
    const r = json(original)
    edit(r)
    replaceArtifact(dir, REFERENCE_FILE, JSON.stringify(r))
    await assert.rejects(loadBundle(dir), message)
  }
  // Edited without resealing: a checksum mismatch, like any bundle file.
  const dir = copy()
  writeFileSync(join(dir, REFERENCE_FILE), JSON.stringify({ ...original, bins: 11 }))
  await assert.rejects(
    loadBundle(dir),
    /drift\/reference\.json has \d+ bytes, the manifest says|checksum mismatch for drift\/reference\.json/,
  )
  for (const [args, message] of [
    [['--window', '7x'], /mlf: --window 7x: expected a length such as 1d/],
    [['--window', '5'], /the window 5 bars is 5 rows, fewer than the 10 bins/],
    [['--window', '30d'], /there are \d+ scored rows, fewer than the window's 43200/],
    [['--step', '0'], /mlf: --step 0: expected a length/],
  ] as const) {
    const r = mlf('drift', '--bundle', run.bundleDir, '--data', data, '--html', join(tempDir(), 'x.html'), ...args)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, message)
    assert.ok(!/\n\s+at /.test(r.stderr), r.stderr)
  }
})
