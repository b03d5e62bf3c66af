import { stat } from 'node:fs/promises'
import { z } from 'zod'
import type { Bars } from './bars.js'
import { readCsvBars } from './ingest-csv.js'
import { readParquetBars } from './ingest-parquet.js'
import { sourceOptionsSchema, type RawBars } from './source.js'
import { parseTimeframe } from './timeframe.js'
import { gapOptionsSchema, validateBars, validationPolicySchema, type ValidationReport } from './validate.js'

/** The `data` section of a config: where bars come from and how they are checked. */
export const dataConfigSchema = sourceOptionsSchema
  .extend({
    path: z.string().optional(),
    /** The bar interval of the file (its most common step must be this): `1m`, `5m`, `1h`, `1d`, ... */
    interval: z
      .string()
      .default('1m')
      .superRefine((s, ctx) => {
        try {
          parseTimeframe(s)
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message })
        }
      }),
    validation: validationPolicySchema.default(validationPolicySchema.parse({})),
    gaps: gapOptionsSchema.default(gapOptionsSchema.parse({})),
  })
  .strict()

export type DataConfig = z.infer<typeof dataConfigSchema>

export async function readRawBars(file: string, options: DataConfig = dataConfigSchema.parse({})): Promise<RawBars> {
  const info = await stat(file).catch(() => null)
  if (!info) throw new Error(`${file}: no such file`)
  if (!info.isFile()) throw new Error(`${file}: not a file`)
  const format = options.format === 'auto' ? (/\.parquet$/i.test(file) ? 'parquet' : 'csv') : options.format
  return format === 'parquet' ? readParquetBars(file, options) : readCsvBars(file, options)
}

/** Read, validate and clean one bars file: the single entry point every command and the pipeline use. */
export async function ingestFile(
  file: string,
  options: DataConfig = dataConfigSchema.parse({}),
): Promise<{ bars: Bars; report: ValidationReport }> {
  const raw = await readRawBars(file, options)
  return validateBars(raw, options.validation, options.gaps, parseTimeframe(options.interval))
}
