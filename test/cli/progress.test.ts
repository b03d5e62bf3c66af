import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createProgress, createStageLogger, progressEnabled, type OutputStream } from '../../src/cli/progress.js'

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

test('progress: a non-TTY stream, CI, or enabled=false gets nothing written', () => {
  const cases = [
    { stream: fakeStream(false), env: {} },
    { stream: fakeStream(true), env: { CI: 'true' } },
    { stream: fakeStream(true), env: {}, enabled: false },
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
