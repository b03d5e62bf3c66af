import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  createProgress,
  createStageLogger,
  formatDuration,
  progressEnabled,
  progressMode,
  type Every,
  type OutputStream,
} from '../../src/cli/progress.js'

function fakeStream(isTTY: boolean): OutputStream & { text(): string } {
  const chunks: string[] = []
  return {
    isTTY,
    columns: 160,
    write(chunk: string) {
      chunks.push(chunk)
      return true
    },
    text: () => chunks.join(''),
  }
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

test('progress: enabled only on a TTY outside CI', () => {
  assert.equal(progressEnabled({ isTTY: true, write: () => true }, {}), true)
  assert.equal(progressEnabled({ isTTY: false, write: () => true }, {}), false)
  assert.equal(progressEnabled({ write: () => true }, {}), false)
  assert.equal(progressEnabled({ isTTY: true, write: () => true }, { CI: 'true' }), false)
  assert.equal(progressEnabled({ isTTY: true, write: () => true }, { CI: '1' }), false)
  assert.equal(progressEnabled({ isTTY: true, write: () => true }, { CI: 'false' }), true)
})

test('progress: a bar on a terminal, status lines when piped, nothing in CI', () => {
  assert.equal(progressMode({ isTTY: true, write: () => true }, {}), 'bar')
  assert.equal(progressMode({ isTTY: false, write: () => true }, {}), 'lines')
  assert.equal(progressMode({ write: () => true }, { CI: 'false' }), 'lines')
  assert.equal(progressMode({ write: () => true }, { CI: 'true' }), 'off')
  assert.equal(progressMode({ isTTY: true, write: () => true }, { CI: '1' }), 'off')
})

test('progress: CI, or enabled=false (--quiet), gets nothing written, on a terminal or not', () => {
  const cases = [
    { stream: fakeStream(true), env: { CI: 'true' } },
    { stream: fakeStream(false), env: { CI: 'true' } },
    { stream: fakeStream(true), env: {}, enabled: false },
    { stream: fakeStream(false), env: {}, enabled: false },
  ]
  for (const opts of cases) {
    const p = createProgress('train', opts)
    assert.equal(p.active, false)
    p.update(0, 10)
    p.update(5, 10, { loss: 0.5 })
    p.update(10, 10)
    p.stop()
    assert.equal(opts.stream.text(), '')
  }
})

test('progress: on a TTY the bar renders label, percentage, counts and info, then ends its line', () => {
  const before = timers()
  const stream = fakeStream(true)
  const p = createProgress('xgboost', { stream, env: {} })
  assert.equal(p.active, true)
  p.update(0, 200)
  assert.match(stream.text(), /xgboost \[░+\] 0% \| 0\/200/)
  p.update(100, 200, { loss: 0.693147, round: 100 })
  p.stop()
  const out = stream.text()
  assert.match(out, /xgboost \[█+░+\] 50% \| 100\/200 .*loss=0\.6931 round=100/)
  assert.ok(out.endsWith('\n'), 'stop ends the line')
  assert.equal(timers(), before, 'no redraw timer is left running after stop')
  // Updates after stop are ignored.
  const length = out.length
  p.update(150, 200)
  p.stop()
  assert.equal(stream.text().length, length)
})

test('progress: reaching the total finishes the bar by itself (no timer left behind)', () => {
  const before = timers()
  const stream = fakeStream(true)
  const p = createProgress('epochs', { stream, env: {} })
  p.update(1, 3)
  p.update(2, 4) // the total may change while running
  p.update(4, 4)
  assert.match(stream.text(), /epochs \[█+\] 100% \| 4\/4/)
  assert.equal(timers(), before)
  p.stop()
})

test('stage logger: logs start and end lines with timing, and collects timings', async () => {
  const stream = fakeStream(false)
  const stages = createStageLogger({ stream })
  const value = await stages.run('ingest', async () => {
    await new Promise((r) => setTimeout(r, 20))
    return 42
  })
  assert.equal(value, 42)
  assert.equal(await stages.run('features', () => 'sync'), 'sync')
  const lines = stream.text().trimEnd().split('\n')
  assert.equal(lines[0], '[mlf] ingest ...')
  assert.match(lines[1], /^\[mlf\] ingest done in \d+\.\d\d s \(peak RSS \d+ MiB\)$/)
  assert.equal(lines[2], '[mlf] features ...')
  assert.deepEqual(
    stages.timings.map((t) => t.stage),
    ['ingest', 'features'],
  )
  assert.ok(stages.timings[0].seconds >= 0.015, `seconds ${stages.timings[0].seconds}`)
  assert.ok(stages.timings[0].peakRssMiB > 1)
})

test('stage logger: quiet writes nothing but still times; a failing stage is logged, rethrown and not timed', async () => {
  const quietStream = fakeStream(true)
  const quiet = createStageLogger({ quiet: true, stream: quietStream })
  await quiet.run('train', () => 1)
  await assert.rejects(() => quiet.run('backtest', () => Promise.reject(new Error('boom'))), /boom/)
  assert.equal(quietStream.text(), '')
  assert.deepEqual(
    quiet.timings.map((t) => t.stage),
    ['train'],
  )

  const stream = fakeStream(false)
  const loud = createStageLogger({ stream })
  await assert.rejects(
    () =>
      loud.run('calibrate', () => {
        throw new Error('no validation rows')
      }),
    /no validation rows/,
  )
  assert.match(stream.text(), /^\[mlf\] calibrate \.\.\.\n\[mlf\] calibrate failed after \d+\.\d\d s\n$/)
  assert.equal(loud.timings.length, 0)
})

/** A clock the test moves, and a timer it fires by hand. */
function fakeTime(): { now: () => number; advance(ms: number): void; every: Every; timers: () => number } {
  let t = 1_000
  const live = new Set<{ ms: number; fn: () => void; at: number }>()
  return {
    now: () => t,
    advance(ms) {
      const end = t + ms
      // Fire each timer at every multiple of its period up to `end`, in time order.
      for (;;) {
        const next = [...live].sort((a, b) => a.at - b.at)[0]
        if (!next || next.at > end) break
        t = next.at
        next.at += next.ms
        next.fn()
      }
      t = end
    },
    every(ms, fn) {
      const timer = { ms, fn, at: t + ms }
      live.add(timer)
      return { stop: () => void live.delete(timer) }
    },
    timers: () => live.size,
  }
}

test('formatDuration: seconds, minutes and seconds, hours and minutes', () => {
  assert.deepEqual([0, 499, 45_000, 130_000, 3_600_000, 3_905_000].map(formatDuration), [
    '0s',
    '0s',
    '45s',
    '2m10s',
    '1h00m',
    '1h05m',
  ])
})

test('progress when piped: one status line at most every interval, with unit, elapsed and ETA, then a done line', () => {
  const stream = fakeStream(false)
  const clock = fakeTime()
  const p = createProgress('fit patchtst', { stream, env: {}, now: clock.now, every: clock.every, intervalMs: 30_000 })
  assert.equal(p.active, true)
  p.update(0, 10, { unit: 'epoch' })
  clock.advance(13_000)
  p.update(1, 10, { unit: 'epoch', trainLoss: 1.0986, valLoss: 1.1 })
  assert.equal(stream.text(), '', 'nothing before the first interval')
  clock.advance(13_000)
  p.update(2, 10, { unit: 'epoch', trainLoss: 1.05, valLoss: 1.09 })
  assert.equal(stream.text(), '')
  // 30 s after the start, the timer says where the stage is, though no epoch ended since.
  clock.advance(4_000)
  assert.equal(stream.text(), '[mlf] fit patchtst: epoch 2/10, elapsed 30s, eta 2m00s, trainLoss=1.05 valLoss=1.09\n')
  // An update 10 s later prints nothing (the last line is 10 s old); the next at 60 s does, from the timer.
  clock.advance(10_000)
  p.update(3, 10, { unit: 'epoch', valLoss: 1.08 })
  assert.equal(stream.text().split('\n').length - 1, 1)
  clock.advance(20_000)
  const lines = stream.text().trimEnd().split('\n')
  assert.equal(lines.length, 2)
  assert.equal(lines[1], '[mlf] fit patchtst: epoch 3/10, elapsed 1m00s, eta 2m20s, valLoss=1.08')
  // Early stopping: the stage ends before its total; stop() writes the done line once and stops the timer.
  clock.advance(5_000)
  p.update(4, 10, { unit: 'epoch' })
  p.stop()
  p.stop()
  p.update(5, 10, { unit: 'epoch' })
  clock.advance(120_000)
  const all = stream.text().trimEnd().split('\n')
  assert.equal(all.length, 3)
  assert.equal(all[2], '[mlf] fit patchtst: done, 4 epochs in 1m05s')
  assert.equal(clock.timers(), 0)
})

test('progress when piped: reaching the total ends the stage; a stage that reports nothing still shows life', () => {
  const stream = fakeStream(false)
  const clock = fakeTime()
  const opts = { stream, env: {}, now: clock.now, every: clock.every, intervalMs: 30_000 }
  const xgb = createProgress('fit xgboost', opts)
  for (let r = 1; r <= 200; r++) {
    clock.advance(100)
    xgb.update(r, 200, { unit: 'round', val: 0.69 })
  }
  xgb.stop()
  assert.equal(stream.text(), '[mlf] fit xgboost: done, 200 rounds in 20s\n')
  assert.equal(clock.timers(), 0)

  const quiet = fakeStream(false)
  const nb = createProgress('fit gaussian_nb', { ...opts, stream: quiet })
  clock.advance(45_000)
  nb.stop()
  assert.equal(quiet.text(), '[mlf] fit gaussian_nb: running, elapsed 30s\n[mlf] fit gaussian_nb: done in 45s\n')

  // Without a unit, counts are shown as done/total.
  const folds = fakeStream(false)
  const oof = createProgress('oof', { ...opts, stream: folds })
  clock.advance(10_000)
  oof.update(3, 10, { fold: 2 })
  clock.advance(25_000)
  oof.update(10, 10)
  assert.equal(folds.text(), '[mlf] oof: 3/10, elapsed 30s, eta 1m10s, fold=2\n[mlf] oof: done, 10/10 in 35s\n')
})

test('progress when piped: the default timer does not keep the process alive', () => {
  const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = refTimers()
  const stream = fakeStream(false)
  const p = createProgress('fit lstm', { stream, env: {} })
  p.update(1, 10, { unit: 'epoch' })
  assert.equal(refTimers(), before, 'the status timer is unref-ed')
  p.stop()
  assert.equal(refTimers(), before)
  assert.match(stream.text(), /^\[mlf\] fit lstm: done, 1 epoch in \d+s\n$/)
})
