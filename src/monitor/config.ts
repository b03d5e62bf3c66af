/**
 * `monitor`: drift monitoring of a bundle's inputs and outputs against its reference distributions.
 *
 *   monitor:
 *     bins: 10                  # quantile bins per reference distribution (fixed when the bundle is packed)
 *     window: 1440              # the sliding window of live rows: a number of bars, or a length (1d, 12h)
 *     psi_warn: 0.1
 *     psi_alert: 0.25
 *     smoothing: 0.5            # pseudo-count per bin: empty bins keep PSI and KL finite
 *     exclude_groups: [calendar]
 *     webhook:                  # optional: mlf serve posts drift events here (mlf serve --drift-webhook overrides it)
 *       url: https://hooks.example/drift
 *       timeout_ms: 5000
 *
 * The window must hold a whole number of bars of data.interval, and at least as many rows as bins (checked with the
 * rest of the config, where the interval is known).
 */
import { z } from 'zod'
import { GROUP_NAMES } from '../features/config.js'
import { checkWebhookUrl } from './events.js'
import { windowLengthMs, windowLengthSchema } from '../validation/config.js'

/** A drift webhook: an http(s) URL and how long one post may take. */
export const webhookConfigSchema = z.strictObject({
  url: z
    .string()
    .superRefine((url, ctx) => {
      try {
        checkWebhookUrl(url)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
      }
    })
    .describe('An http or https URL; drift events are POSTed to it as {"events": [...]}'),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(5000)
    .describe('A post slower than this is abandoned (and counted as failed); it also bounds the wait at shutdown'),
})

export const monitorConfigSchema = z
  .strictObject({
    bins: z
      .number()
      .int()
      .min(2)
      .max(100)
      .default(10)
      .describe('Quantile bins of each reference distribution (10: deciles); used when the bundle is packed'),
    window: windowLengthSchema
      // A number of bars, so that the default means as many rows (and as little sampling noise) on any interval.
      .default(1440)
      .describe(
        'The sliding window of live rows compared with the reference: a number of bars (1,440: a day of 1-minute ' +
          "bars) or a length such as '1d' or '12h'; it counts rows, so gaps in the data do not shrink it. PSI's " +
          'sampling noise is about (bins + 3) / rows. mlf drift --window overrides it',
      ),
    psi_warn: z.number().positive().default(0.1).describe('PSI from which a column is in warning'),
    psi_alert: z.number().positive().default(0.25).describe('PSI from which a column is in alert'),
    smoothing: z
      .number()
      .positive()
      .max(10)
      .default(0.5)
      .describe(
        'Pseudo-count added to every bin of the reference and of the window before PSI and KL: an empty bin gets a ' +
          'small positive share, so neither is infinite',
      ),
    exclude_groups: z
      .array(z.enum(GROUP_NAMES))
      .default(['calendar'])
      .describe(
        'Feature groups whose drift is reported but never warns or alerts: calendar columns are functions of the ' +
          'clock, so a window shorter than their cycle (a week for the day of week) differs from the reference by ' +
          'construction',
      ),
    // Optional and without a default: a config without it hashes as it did before the key existed.
    webhook: webhookConfigSchema
      .optional()
      .describe(
        'Where mlf serve posts drift events (each change of a column level, as JSON); mlf serve --drift-webhook ' +
          'overrides it. mlf drift (batch) never posts',
      ),
  })
  .refine((c) => c.psi_warn < c.psi_alert, {
    path: ['psi_alert'],
    message: 'psi_alert must be above psi_warn',
  })

export type MonitorConfig = z.infer<typeof monitorConfigSchema>

/**
 * Rows of the window `window` on bars of `barMs`; an error says why a window cannot be one (not whole bars, fewer
 * rows than bins).
 */
export function windowRows(window: MonitorConfig['window'], barMs: number, bins: number): number {
  const rows = windowLengthMs(window, barMs) / barMs
  const shown = typeof window === 'number' ? `${window} bars` : window
  if (!Number.isInteger(rows)) throw new Error(`the window ${shown} is not a whole number of bars`)
  if (rows < bins)
    throw new Error(`the window ${shown} is ${rows} rows, fewer than the ${bins} bins of the reference distributions`)
  return rows
}
