/**
 * `maker_first`: every order first rests as a limit at `offset` basis points from the decision price (the close of
 * the bar it is decided at), below it to buy and above it to sell, for `timeout` bars. It fills at the limit price,
 * never better, in a later bar whose range reaches the limit (`fill: through`, the default, asks for a price beyond
 * it, since a touch may leave a resting order unfilled behind the queue; `touch` takes a touch). With
 * `partial_fills`, a bar fills at most `volume_share` of its volume (in base units; the capital in quote currency
 * turns positions into units), and the rest keeps working; a bar without a volume figure fills whole. An order
 * still working after its last bar is crossed as a taker at the next open (`on_timeout: cross`) or cancelled
 * (`cancel`): a cancelled order that would shrink the position (a horizon exit, the closing part of a reversal) is
 * crossed all the same, so that no position outlives its horizon by more than the timeout.
 */
import { z } from 'zod'

export const makerFirstExecutionSchema = z
  .object({
    kind: z.literal('maker_first'),
    offset: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe("The limit's distance from the decision bar's close, in basis points: below it to buy, above to sell"),
    timeout: z.number().int().min(1).max(100_000).default(5).describe('Bars a limit order works after its decision'),
    on_timeout: z
      .enum(['cross', 'cancel'])
      .default('cross')
      .describe(
        'An order unfilled after its last bar: cross as a taker at the next open, or cancel (a shrinking order still crosses)',
      ),
    fill: z
      .enum(['through', 'touch'])
      .default('through')
      .describe('A bar fills a resting limit when its range trades beyond the limit (through) or reaches it (touch)'),
    maker_fee: z.number().min(0).max(1000).default(1).describe('Fee of a limit fill, in basis points of its notional'),
    partial_fills: z
      .object({
        volume_share: z
          .number()
          .gt(0)
          .lte(1)
          .describe("The most of a bar's volume a resting order may fill in that bar"),
        capital: z
          .number()
          .positive()
          .describe('Starting capital in quote currency, to turn positions (fractions of capital) into units'),
      })
      .strict()
      .optional()
      .describe('Partial fills by volume; absent: a bar that reaches the limit fills the whole order'),
  })
  .strict()

export type MakerFirstExecution = z.infer<typeof makerFirstExecutionSchema>

/** One bar as a resting limit sees it. */
export interface BarRange {
  readonly high: number
  readonly low: number
  /** Base units traded in the bar; NaN when unknown. */
  readonly volume: number
}

/**
 * Units a resting limit order fills in one bar, at its limit price: none unless the bar's range reaches the limit
 * (beyond it for `through`); then all of `remaining`, or with a volume share at most that share of the bar's volume
 * (converted to the order's units by `unitsPerBase`).
 */
export function limitFill(
  buy: boolean,
  limit: number,
  bar: BarRange,
  rule: MakerFirstExecution['fill'],
  remaining: number,
  volumeCap?: { readonly share: number; readonly unitsPerBase: number },
): number {
  const reached = buy
    ? rule === 'through'
      ? bar.low < limit
      : bar.low <= limit
    : rule === 'through'
      ? bar.high > limit
      : bar.high >= limit
  if (!reached) return 0
  if (!volumeCap || !Number.isFinite(bar.volume)) return remaining
  return Math.min(remaining, volumeCap.share * bar.volume * volumeCap.unitsPerBase)
}
