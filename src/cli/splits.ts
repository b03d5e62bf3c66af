import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { loadConfig } from '../config/load.js'
import { ingestFile } from '../data/ingest.js'
import { tripleBarrier } from '../labels/triple-barrier.js'
import { volatility } from '../labels/volatility.js'
import { chronologicalSplit } from '../validation/chronological.js'
import { embargoFor, splitsConfigSchema, type SplitsConfig } from '../validation/config.js'
import { cpcv } from '../validation/cpcv.js'
import { purgedKFold } from '../validation/kfold.js'
import { spansFromT1Index, toRanges, type LabelSpans } from '../validation/spans.js'
import { walkForward } from '../validation/walk-forward.js'

type Method = SplitsConfig['method']

interface SplitReport {
  name: string
  train: [number, number][]
  val?: [number, number][]
  test: [number, number][]
  train_rows: number
  val_rows?: number
  test_rows: number
  purged: number
  embargoed: number
  [extra: string]: unknown
}

/** Every split of the chosen scheme, with row ranges (inclusive) and purged/embargoed counts. */
export function describeSplits(
  spans: LabelSpans,
  ts: Float64Array,
  cfg: SplitsConfig,
  method: Method,
): { embargo: number; splits: SplitReport[]; paths?: readonly (readonly number[])[] } {
  const embargo = embargoFor(cfg, spans.row.length)
  const base = (name: string, train: Int32Array, test: Int32Array, purged: number, embargoed: number): SplitReport => ({
    name,
    train: toRanges(train),
    test: toRanges(test),
    train_rows: train.length,
    test_rows: test.length,
    purged,
    embargoed,
  })
  switch (method) {
    case 'chronological': {
      const s = chronologicalSplit(spans, cfg.chronological, embargo)
      const r = base('chronological', s.train, s.test, s.purged, s.embargoed)
      return {
        embargo,
        splits: [
          {
            ...r,
            val: toRanges(s.val),
            val_rows: s.val.length,
            val_purged: s.valPurged,
            val_embargoed: s.valEmbargoed,
          },
        ],
      }
    }
    case 'kfold':
      return {
        embargo,
        splits: purgedKFold(spans, cfg.kfold.folds, embargo).map((f) =>
          base(`fold ${f.fold}`, f.train, f.test, f.purged, f.embargoed),
        ),
      }
    case 'walk_forward': {
      const time = Float64Array.from(spans.row, (r) => ts[r])
      const folds = walkForward(spans, time, cfg.walkForward, embargo)
      return {
        embargo,
        splits: folds.map((f) => ({
          ...base(`window ${f.fold}`, f.train, f.test, f.purged, f.embargoed),
          train_start: Number.isFinite(f.trainStart) ? new Date(f.trainStart).toISOString() : null,
          test_start: new Date(f.testStart).toISOString(),
          test_end: new Date(f.testEnd).toISOString(),
        })),
      }
    }
    case 'cpcv': {
      const c = cpcv(spans, cfg.cpcv.groups, cfg.cpcv.testGroups, embargo)
      return {
        embargo,
        paths: c.paths,
        splits: c.splits.map((s) => ({
          ...base(`split ${s.split}`, s.train, s.test, s.purged, s.embargoed),
          test_groups: s.testGroups,
        })),
      }
    }
  }
}

export function register(program: Command): void {
  program
    .command('splits')
    .description('purged, embargoed train/test splits over the label spans (triple-barrier t1) of a bars file')
    .argument('<file>', 'bars file (CSV, CSV.gz, Parquet)')
    .option('--config <file>', 'YAML config (data, labels and splits sections)')
    .option('--method <method>', 'chronological | kfold | walk_forward | cpcv (default: splits.method of the config)')
    .requiredOption('--json <file>', 'output JSON file')
    .action(async (file: string, opts: { config?: string; method?: string; json: string }) => {
      const config = loadConfig(opts.config)
      const method = splitsConfigSchema.shape.method.parse(opts.method ?? config.splits.method) as Method
      const { bars } = await ingestFile(file, config.data)
      const vol = volatility(bars, config.labels.volatility.estimator, config.labels.volatility.window)
      const labels = tripleBarrier(bars, vol, config.labels.tripleBarrier)
      const spans = spansFromT1Index(labels.t1Index)
      const out = describeSplits(spans, bars.ts, config.splits, method)
      const { embargo, ...rest } = out
      const report = { file, method, rows: bars.length, samples: spans.row.length, embargo_bars: embargo, ...rest }
      await writeFileAtomic(opts.json, JSON.stringify(report, null, 1))
      for (const s of out.splits) {
        process.stdout.write(
          `${s.name}: train ${s.train_rows} rows in ${s.train.length} ranges, test ${s.test_rows}` +
            `${s.val_rows !== undefined ? `, val ${s.val_rows}` : ''}, purged ${s.purged}, embargoed ${s.embargoed}\n`,
        )
      }
      process.stdout.write(`${opts.json}: ${out.splits.length} split(s), ${method}, embargo ${out.embargo} bars\n`)
    })
}
