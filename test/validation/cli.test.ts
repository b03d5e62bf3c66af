import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBars, repoRoot } from '../labels/helpers.js'

const cli = path.join(repoRoot, 'dist/src/cli/main.js')

function writeCsv(file: string, n: number): void {
  const b = randomBars(n, 21)
  const lines = ['ts_utc,open,high,low,close,volume']
  for (let i = 0; i < n; i++) {
    lines.push(`${new Date(b.ts[i]).toISOString()},${b.open[i]},${b.high[i]},${b.low[i]},${b.close[i]},1`)
  }
  writeFileSync(file, lines.join('\n') + '\n')
}

test('mlf labels and mlf splits on a small CSV: Parquet labels, JSON splits with purge counts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlf-labels-cli-'))
  try {
    const csv = path.join(dir, 'bars.csv')
    writeCsv(csv, 3000)
    const cfg = path.join(dir, 'c.yaml')
    writeFileSync(
      cfg,
      'labels:\n  tripleBarrier:\n    maxHolding: 20\nsplits:\n  embargoBars: 5\n  kfold:\n    folds: 4\n',
    )
    const out = path.join(dir, 'labels.parquet')
    const l = spawnSync(process.execPath, [cli, 'labels', csv, '--config', cfg, '--out', out], { encoding: 'utf8' })
    assert.equal(l.status, 0, l.stderr)
    assert.ok(existsSync(out))
    assert.match(l.stdout, /2967 labeled rows of 3000 bars/) // 3000 - 13 warm-up - 20 at the end
    const json = path.join(dir, 'splits.json')
    const s = spawnSync(process.execPath, [cli, 'splits', csv, '--config', cfg, '--method', 'kfold', '--json', json], {
      encoding: 'utf8',
    })
    assert.equal(s.status, 0, s.stderr)
    const rep = JSON.parse(readFileSync(json, 'utf8')) as {
      method: string
      embargo_bars: number
      splits: { train_rows: number; test_rows: number; purged: number; embargoed: number; test: [number, number][] }[]
    }
    assert.equal(rep.method, 'kfold')
    assert.equal(rep.embargo_bars, 5)
    assert.equal(rep.splits.length, 4)
    for (const f of rep.splits) assert.equal(f.train_rows + f.test_rows + f.purged + f.embargoed, 2967)
    assert.ok(rep.splits[1].purged > 0 && rep.splits[1].embargoed === 5)
    const bad = spawnSync(process.execPath, [cli, 'splits', csv, '--method', 'nope', '--json', json], {
      encoding: 'utf8',
    })
    assert.notEqual(bad.status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
