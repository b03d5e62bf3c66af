import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse } from 'yaml'
import { exportMlflow, mlflowKey, mlflowRunUuid } from '../../src/tracking/mlflow.js'
import { flatten, runMetrics } from '../../src/tracking/diff.js'
import { decodeJson } from '../../src/tracking/store.js'
import type { RunRecord } from '../../src/tracking/types.js'
import { tempDir } from '../helpers.js'
import { sampleRun, variedRun } from './fixture.js'

/** Every file under `dir`, by its path relative to it (MLflow nests keys holding / in folders). */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(relative(dir, p), readFileSync(p, 'utf8'))
    }
  }
  walk(dir)
  return out
}

/** An MLflow file store read back the way MLflow's FileStore reads it: experiments, runs, params, metrics, tags. */
function readMlflowStore(root: string) {
  const experiments = readdirSync(root).filter((d) => /^\d+$/.test(d))
  return experiments.map((id) => {
    const meta = parse(readFileSync(join(root, id, 'meta.yaml'), 'utf8')) as Record<string, unknown>
    const runs = readdirSync(join(root, id))
      .filter((d) => statSync(join(root, id, d)).isDirectory())
      .map((uuid) => {
        const dir = join(root, id, uuid)
        const metrics = new Map<string, { ts: number; value: number; step: number }[]>()
        for (const [k, text] of filesUnder(join(dir, 'metrics')))
          metrics.set(
            k,
            text
              .trim()
              .split('\n')
              .map((line) => {
                const [ts, value, step] = line.split(' ')
                return {
                  ts: Number(ts),
                  value: value === 'nan' ? NaN : Number(value.replace(/^(-?)inf$/, '$1Infinity')),
                  step: Number(step),
                }
              }),
          )
        return {
          uuid,
          meta: parse(readFileSync(join(dir, 'meta.yaml'), 'utf8')) as Record<string, unknown>,
          params: filesUnder(join(dir, 'params')),
          tags: filesUnder(join(dir, 'tags')),
          metrics,
          artifacts: filesUnder(join(dir, 'artifacts')),
        }
      })
    return { id, meta, runs }
  })
}

test('mlflow export: the file store read back gives the run params, metrics, tags and artifacts', () => {
  const run = { ...sampleRun('run-exported'), preset: 'tabular_stacking' }
  const root = join(tempDir(), 'mlruns')
  const e = exportMlflow(run, { dir: root })
  const [exp] = readMlflowStore(root)
  assert.equal(exp.id, e.experimentId)
  assert.deepEqual(
    { name: exp.meta.name, id: exp.meta.experiment_id, stage: exp.meta.lifecycle_stage },
    { name: 'mlfactory', id: exp.id, stage: 'active' },
  )
  assert.equal(exp.runs.length, 1)
  const r = exp.runs[0]
  assert.equal(r.uuid, mlflowRunUuid(run.runId))
  assert.match(r.uuid, /^[0-9a-f]{32}$/)
  assert.equal(r.meta.run_id, r.uuid)
  assert.equal(r.meta.run_uuid, r.uuid)
  assert.equal(r.meta.experiment_id, exp.id)
  assert.equal(r.meta.status, 3)
  assert.equal(r.meta.lifecycle_stage, 'active')
  assert.equal(r.meta.end_time, Date.parse(run.createdAt))
  assert.equal(r.meta.start_time, Date.parse(run.createdAt) - Math.round(1000 * (1.42 + 6.8 + 41.3)))
  assert.equal(r.meta.artifact_uri, `file://${join(root, exp.id, r.uuid, 'artifacts')}`)

  const params = flatten(run.config)
  params.set('seed', run.seed)
  const sorted = (m: Iterable<readonly [string, unknown]>) =>
    [...m].map(([k, v]): [string, string] => [k, String(v)]).sort(([x], [y]) => x.localeCompare(y))
  assert.deepEqual(sorted(r.params), sorted(params))
  assert.ok(params.size >= 3)

  const metrics = runMetrics(run)
  assert.ok(metrics.size > 20)
  for (const [k, v] of metrics) {
    const lines = r.metrics.get(mlflowKey(k))
    assert.ok(lines, `metric ${k}`)
    assert.equal(lines.length, 1)
    assert.ok(Object.is(lines[0].value, v) || lines[0].value === v, `${k}: ${lines[0].value} vs ${v}`)
  }
  assert.ok(Number.isNaN(r.metrics.get('logistic.test.auc')![0].value), 'NaN round-trips')
  assert.equal(r.metrics.get('backtest.profitFactor')![0].value, Infinity)
  const equity = r.metrics.get('curve.equity')!
  assert.equal(equity.length, run.backtest!.equity.ts.length)
  equity.forEach((p, i) => {
    assert.equal(p.step, i)
    assert.equal(p.ts, run.backtest!.equity.ts[i])
    assert.equal(p.value, run.backtest!.equity.equity[i])
  })
  assert.equal(r.metrics.size, metrics.size + 2)

  assert.equal(r.tags.get('mlflow.runName'), run.runId)
  assert.equal(r.tags.get('mlf.run_id'), run.runId)
  assert.equal(r.tags.get('mlf.config_hash'), run.configHash)
  assert.equal(r.tags.get('mlf.preset'), 'tabular_stacking')
  const record = decodeJson<RunRecord>(r.artifacts.get('run_record.json')!)
  assert.equal(record.runId, run.runId)
  assert.ok(Number.isNaN(record.models[1].metrics.test.auc))
  assert.match(r.artifacts.get('report.html')!, /^<!doctype html>/)
})

test('mlflow export: deterministic files, one experiment by name, the run folder copied, re-export refused', () => {
  const a = join(tempDir(), 'mlruns')
  const b = join(tempDir(), 'mlruns')
  exportMlflow(variedRun(1), { dir: a })
  exportMlflow(variedRun(1), { dir: b })
  const strip = (m: Map<string, string>) =>
    new Map([...m].filter(([k]) => !k.endsWith('meta.yaml')).sort(([x], [y]) => x.localeCompare(y)))
  assert.deepEqual(strip(filesUnder(a)), strip(filesUnder(b)))

  const folder = join(tempDir(), 'run-0002')
  mkdirSync(join(folder, 'bundle'), { recursive: true })
  writeFileSync(join(folder, 'bundle', 'manifest.json'), '{"files":{}}')
  writeFileSync(join(folder, 'summary.json'), '{}')
  const e = exportMlflow(variedRun(2), { dir: a, runFolder: folder })
  const store = readMlflowStore(a)
  assert.equal(store.length, 1, 'the second run joins the mlfactory experiment')
  assert.equal(store[0].runs.length, 2)
  const arts = store[0].runs.find((r) => r.uuid === e.runUuid)!.artifacts
  assert.deepEqual([...arts.keys()].sort(), ['bundle/manifest.json', 'run_record.json', 'summary.json'])
  const other = exportMlflow(variedRun(3), { dir: a, experiment: 'other' })
  assert.equal(other.experimentId, '1')
  assert.throws(
    () => exportMlflow(variedRun(1), { dir: a }),
    /run run-0001 is already exported to .*; remove that folder/,
  )
})

test('mlflow keys: characters MLflow refuses become _, and no part can leave the run folder', () => {
  assert.equal(mlflowKey('head q05/q50/q95.test.coverage'), 'head q05/q50/q95.test.coverage')
  assert.equal(mlflowKey('a:b*c'), 'a_b_c')
  assert.equal(mlflowKey('../x//y'), '_/x/_/y')
})
