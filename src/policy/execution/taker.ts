/**
 * `taker`: every order crosses the spread at once. A decision at the close of bar t fills at the open of bar t + 1,
 * the labels' entry; a horizon exit fills at the close of its bar, the labels' vertical barrier. Each fill pays the
 * slippage on its price and the taker fee (backtest.slippage and backtest.fees).
 */
import { z } from 'zod'

export const takerExecutionSchema = z.object({ kind: z.literal('taker') }).strict()

export type TakerExecution = z.infer<typeof takerExecutionSchema>
