/** Parameters the sizing policies share, each with its meaning, range and default. */
import { z } from 'zod'

/** The largest |position|. */
export const capParam = z.number().gt(0).lte(1).default(1).describe('Largest position, as a fraction of capital')

/** The edge after costs a position needs, in basis points. */
export const minEdgeParam = z
  .number()
  .min(0)
  .max(10_000)
  .default(0)
  .describe('Least expected return per unit of position after costs, in basis points, to take a position')

export const shortParam = z.boolean().default(true).describe('Take short positions (false: long or flat only)')

/** The share of a growth-optimal size taken. */
export const kellyFractionParam = (of: string) =>
  z.number().gt(0).lte(1).default(0.5).describe(`Kelly fraction: the share of ${of} taken (0.5: half Kelly)`)
