import { z } from 'zod'
import type { RunRecord } from './types.js'

/**
 * Runtime check of a RunRecord before it is stored, so a pipeline bug surfaces as an error naming the field rather
 * than as a broken row or report. Metric values may be NaN or infinite (e.g. AUC on a one-class split, Sharpe with
 * zero variance): they are numbers, and the store keeps them.
 */
const anyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number')
const finite = z.number()
const nonNegative = z.number().nonnegative()
const metricMap = z.record(z.string(), anyNumber)
const interval = z.object({ value: finite, lo: finite, hi: finite })

const reliabilityBin = z.object({
  lo: finite,
  hi: finite,
  meanPredicted: anyNumber,
  observed: anyNumber,
  count: nonNegative,
})

const calibrationStats = z.object({
  ece: anyNumber,
  brier: anyNumber,
  logLoss: anyNumber,
  reliability: z.array(reliabilityBin),
})

const binned = { ece: anyNumber, mce: anyNumber, emptyBins: nonNegative, reliability: z.array(reliabilityBin) }

const calibrationStep = z.object({
  name: z.string(),
  logLoss: anyNumber,
  brier: anyNumber,
  topLabel: z.object(binned),
  classwise: z.object({ ece: anyNumber, mce: anyNumber }),
  perClass: z.array(z.object({ class: z.string(), ...binned })),
})

const backtest = z
  .object({
    equity: z.object({
      ts: z.array(finite),
      equity: z.array(anyNumber),
      drawdown: z.array(anyNumber),
      gross: z.array(anyNumber).optional(),
    }),
    metrics: metricMap,
    byRegime: z.array(
      z.object({
        regime: z.string(),
        trades: nonNegative,
        pnl: anyNumber,
        meanNet: anyNumber.optional(),
        tStat: anyNumber.optional(),
        sharpe: anyNumber.optional(),
        winRate: anyNumber,
      }),
    ),
    benchmark: z
      .object({
        grossEquity: z.array(anyNumber),
        buyAndHold: z.object({ gross: z.array(anyNumber), net: z.array(anyNumber) }),
      })
      .optional(),
  })
  .superRefine((b, ctx) => {
    const n = b.equity.ts.length
    if (b.equity.equity.length !== n || b.equity.drawdown.length !== n)
      ctx.addIssue({
        code: 'custom',
        path: ['equity'],
        message: `ts, equity and drawdown must have equal lengths (got ${n}, ${b.equity.equity.length}, ${b.equity.drawdown.length})`,
      })
    if (b.equity.gross !== undefined && b.equity.gross.length !== n)
      ctx.addIssue({
        code: 'custom',
        path: ['equity', 'gross'],
        message: `gross must have one value per ts (got ${b.equity.gross.length} for ${n})`,
      })
    const bm = b.benchmark
    if (bm && [bm.grossEquity, bm.buyAndHold.gross, bm.buyAndHold.net].some((x) => x.length !== n))
      ctx.addIssue({
        code: 'custom',
        path: ['benchmark'],
        message: `every benchmark series must have ${n} points, as ts`,
      })
  })

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO 8601 timestamp')

const trade = z.object({
  side: z.enum(['long', 'short']),
  size: nonNegative,
  decision: isoTime,
  entry: isoTime,
  exit: isoTime,
  entryPrice: finite,
  exitPrice: finite,
  gross: finite,
  cost: finite,
  net: finite,
  reason: z.enum(['horizon', 'flip', 'end']),
})

const importance = z.object({
  model: z.string().min(1),
  role: z.string().min(1),
  method: z.enum(['gain', 'shap', 'permutation']),
  rows: nonNegative.nullable(),
  features: z.array(z.object({ feature: z.string(), value: finite })),
  beeswarm: z
    .object({
      class: z.string(),
      features: z.array(z.string()),
      points: z.array(z.tuple([nonNegative, finite, finite])),
    })
    .optional(),
})

const ensembleWeights = z
  .object({
    combiner: z.string().min(1),
    meaning: z.string(),
    members: z.array(z.string()).min(1),
    windows: z.array(z.object({ key: z.string(), testStart: isoTime, weights: z.array(finite) })),
  })
  .superRefine((e, ctx) => {
    e.windows.forEach((w, i) => {
      if (w.weights.length !== e.members.length)
        ctx.addIssue({
          code: 'custom',
          path: ['windows', i, 'weights'],
          message: `${w.weights.length} weights for ${e.members.length} members`,
        })
    })
  })

const labels = z
  .object({
    classes: z.array(z.string()),
    counts: z.array(z.object({ split: z.enum(['train', 'val', 'test']), counts: z.array(nonNegative) })),
  })
  .superRefine((l, ctx) => {
    l.counts.forEach((c, i) => {
      if (c.counts.length !== l.classes.length)
        ctx.addIssue({
          code: 'custom',
          path: ['counts', i, 'counts'],
          message: `${c.split} has ${c.counts.length} counts for ${l.classes.length} classes`,
        })
    })
  })

const gate = z
  .object({
    name: z.string().min(1),
    members: z.array(z.string()).min(1),
    rows: nonNegative,
    meanWeights: z.array(finite),
    ts: z.array(finite),
    weights: z.array(z.array(finite)),
    regret: z.object({ bestMember: z.string(), total: finite, perRow: finite, cumulative: z.array(finite) }),
  })
  .superRefine((g, ctx) => {
    const m = g.members.length
    if (g.meanWeights.length !== m || g.weights.length !== m)
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `weights must be given for each of ${m} members` })
    const n = g.ts.length
    if (g.weights.some((w) => w.length !== n) || g.regret.cumulative.length !== n)
      ctx.addIssue({ code: 'custom', path: ['ts'], message: `every series must have ${n} points, as ts` })
  })

export const runRecordSchema: z.ZodType<RunRecord> = z.object({
  runId: z.string().min(1),
  createdAt: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'expected an ISO 8601 timestamp'),
  configHash: z.string(),
  dataFingerprint: z.string(),
  codeVersion: z.string(),
  environment: z
    .object({
      node: z.string(),
      platform: z.string(),
      cpu: z.string(),
      cores: z.number().int().nonnegative(),
      engines: z.record(z.string(), z.string()),
      engineEnv: z.record(z.string(), z.string()),
    })
    .optional(),
  seed: z.number().int(),
  config: z.unknown(),
  preset: z.string().min(1).optional(),
  dataFile: z.string(),
  timings: z.array(z.object({ stage: z.string(), seconds: nonNegative, peakRssMiB: nonNegative })),
  labels,
  models: z.array(
    z.object({
      name: z.string().min(1),
      kind: z.enum(['base', 'ensemble', 'calibrated']),
      metrics: z.object({ val: metricMap, test: metricMap }),
    }),
  ),
  calibration: z
    .object({
      method: z.string(),
      params: z.record(z.string(), anyNumber),
      fitOn: z
        .object({ source: z.enum(['validation', 'oof']), rows: nonNegative, unpredicted: nonNegative })
        .optional(),
      before: calibrationStats,
      after: calibrationStats,
      steps: z.array(calibrationStep).optional(),
    })
    .optional(),
  heads: z
    .array(
      z.object({
        head: z.string(),
        model: z.string(),
        postProcessors: z.array(z.string()),
        metrics: z.object({ val: metricMap, test: metricMap, test_raw: metricMap }),
      }),
    )
    .optional(),
  predictionSets: z
    .object({
      method: z.string(),
      target: anyNumber,
      coverage: anyNumber,
      meanSize: anyNumber,
      rows: nonNegative,
      sizes: z.array(nonNegative),
      perClass: z.array(z.object({ class: z.string(), coverage: anyNumber, rows: nonNegative })),
    })
    .optional(),
  comparison: z
    .array(
      z.object({
        model: z.string().min(1),
        kind: z.enum(['alone', 'chain']),
        index: z.number().int().nonnegative().nullable(),
        head: z.string(),
        postProcessors: z.array(z.string()),
        metrics: z.object({ val: metricMap, test: metricMap }),
        backtest: metricMap.nullable(),
        fitSeconds: nonNegative.nullable(),
        inferUsPerRow: nonNegative.nullable(),
      }),
    )
    .optional(),
  featureImportance: z.array(z.object({ feature: z.string(), gain: anyNumber })).optional(),
  importance: z.array(importance).optional(),
  backtest: backtest.optional(),
  testPeriod: z.object({ start: isoTime, end: isoTime, rows: nonNegative, bars: nonNegative }).optional(),
  trades: z.object({ total: nonNegative, rows: z.array(trade) }).optional(),
  ensembleWeightsByWindow: ensembleWeights.optional(),
  policies: z
    .array(
      z.object({
        policy: z.string().min(1),
        metrics: metricMap,
        fit: z
          .object({
            seeds: z.array(z.object({ select_pnl: anyNumber, test_pnl: anyNumber })),
            test_pnl: z.object({ n: nonNegative, mean: anyNumber, lo: anyNumber, hi: anyNumber }),
          })
          .optional(),
      }),
    )
    .optional(),
  canary: z
    .object({
      shuffledLabels: z.boolean(),
      testAuc: anyNumber,
      controlAuc: anyNumber.optional(),
      controlSeconds: nonNegative.optional(),
      noControl: z.string().optional(),
    })
    .optional(),
  acceptance: z
    .object({
      verdict: z.enum(['PASS', 'FAIL']),
      noEdge: z.string().nullable(),
      testPeriod: z.object({ start: z.string(), end: z.string(), days: nonNegative }),
      gates: z.array(
        z.object({
          gate: z.string().min(1),
          value: finite.nullable(),
          threshold: finite,
          op: z.enum(['<=', '>=']),
          pass: z.boolean(),
          note: z.string().optional(),
        }),
      ),
      trades: nonNegative,
      intervals: z.union([
        z.object({
          days: nonNegative,
          blockDays: nonNegative,
          resamples: nonNegative,
          confidence: finite,
          sharpe: interval,
          totalReturn: interval,
          hitRate: interval.nullable(),
        }),
        z.object({ reason: z.string() }),
      ]),
    })
    .optional(),
  postProcessorChecks: z
    .array(
      z.object({
        window: z.string(),
        name: z.string(),
        rows: nonNegative,
        before: z.object({ logLoss: anyNumber, ece: anyNumber }),
        after: z.object({ logLoss: anyNumber, ece: anyNumber }),
        worse: z.boolean(),
        dropped: z.boolean(),
      }),
    )
    .optional(),
  artifacts: z.array(
    z.object({
      path: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
      bytes: z.number().int().nonnegative(),
    }),
  ),
  rows: z.number().int().nonnegative().optional(),
  features: z.number().int().nonnegative().optional(),
  featureSchemaHash: z.string().optional(),
  samples: z
    .object({
      train: nonNegative,
      val: nonNegative,
      test: nonNegative,
      purged: nonNegative,
      embargoed: nonNegative,
    })
    .optional(),
  ensembleWeights: z.record(z.string(), anyNumber).nullable().optional(),
  ensembleGuard: z.record(z.string(), z.unknown()).nullable().optional(),
  gate: gate.optional(),
  bundleChecksum: z.string().optional(),
  evaluation: z
    .object({
      method: z.enum(['chronological', 'walk_forward']),
      windows: z.array(
        z.object({
          key: z.string(),
          trainStart: z.string(),
          testStart: z.string(),
          testEnd: z.string(),
          samples: z.object({ train: nonNegative, val: nonNegative, test: nonNegative, purged: nonNegative }),
          test: metricMap,
          backtest: metricMap,
        }),
      ),
      skipped: nonNegative,
    })
    .optional(),
})

/** The record, checked; throws an error listing each bad field by path. */
export function checkRunRecord(value: unknown): RunRecord {
  const r = runRecordSchema.safeParse(value)
  if (r.success) return r.data
  const where = (value as { runId?: unknown } | null)?.runId
  const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')
  throw new Error(`invalid run record${typeof where === 'string' ? ` ${where}` : ''}:\n${issues}`)
}
