/**
 * The backtest's book: cash and units of the contract (starting from 1 unit of capital), and the open trade, to
 * which every fill books its fee and slippage. A trade runs from the fill that leaves flat to the one that returns
 * to flat; a fill that crosses zero closes one trade and opens the next at the same price.
 */
export interface Trade {
  side: 1 | -1
  /** The largest |position| the trade held, as a fraction of capital. */
  size: number
  /** The bar whose decision opened the trade (its close), and the bars of the first and the closing fill. */
  decisionIndex: number
  entryIndex: number
  exitIndex: number
  /** Prices of the first and the closing fill before slippage (an open, a close or a limit). */
  entryPrice: number
  exitPrice: number
  /** The trade's P&L as a return on the capital it started with: before costs, the costs, and after them. */
  gross: number
  /** Fees and slippage. */
  cost: number
  net: number
  /** Why it ended: its horizon, a reversal, or the end of the data. */
  exit: 'horizon' | 'flip' | 'end'
}

interface OpenTrade {
  readonly side: 1 | -1
  readonly startEquity: number
  readonly decisionIndex: number
  readonly entryIndex: number
  readonly entryPrice: number
  cost: number
  size: number
}

/** What caused a fill: a fill that closes a trade gives the trade's exit reason. */
export interface FillCause {
  readonly exit: Trade['exit']
  readonly decisionIndex: number
}

export class Account {
  cash = 1
  units = 0
  /** The position as a signed fraction of capital: the target once an order completes, else the exposure. */
  size = 0
  /** Traded notional filled as maker and as taker (in units of starting capital). */
  makerNotional = 0
  takerNotional = 0
  readonly trades: Trade[] = []
  private open: OpenTrade | null = null

  equity(price: number): number {
    return this.cash + this.units * price
  }

  /** The position's value as a share of equity at `price`. */
  exposure(price: number): number {
    return this.units === 0 ? 0 : (this.units * price) / this.equity(price)
  }

  setSize(size: number): void {
    this.size = size
    if (this.open) this.open.size = Math.max(this.open.size, Math.abs(size))
  }

  /**
   * A fill of `units` (signed: + buys) at `price`, whose price before slippage was `raw`, paying `feeRate` of its
   * notional; a fill past zero is split into the closing leg and the opening one.
   */
  fill(bar: number, units: number, raw: number, price: number, feeRate: number, maker: boolean, cause: FillCause) {
    if (this.units !== 0 && Math.sign(units) !== Math.sign(this.units)) {
      // A leg that leaves a sliver of the position (float rounding of partial fills) closes it.
      const closing = Math.abs(units + this.units) <= 1e-12 * Math.abs(this.units)
      if (closing || Math.abs(units) > Math.abs(this.units)) {
        const rest = closing ? 0 : units + this.units
        this.leg(bar, -this.units, raw, price, feeRate, maker, cause)
        if (rest !== 0) this.leg(bar, rest, raw, price, feeRate, maker, cause)
        return
      }
    }
    this.leg(bar, units, raw, price, feeRate, maker, cause)
  }

  private leg(
    bar: number,
    units: number,
    raw: number,
    price: number,
    feeRate: number,
    maker: boolean,
    cause: FillCause,
  ) {
    if (this.units === 0) {
      this.open = {
        side: units > 0 ? 1 : -1,
        startEquity: this.cash,
        decisionIndex: cause.decisionIndex,
        entryIndex: bar,
        entryPrice: raw,
        cost: 0,
        size: 0,
      }
    }
    const notional = Math.abs(units) * price
    const fee = feeRate * notional
    this.cash -= units * price + fee
    this.units += units
    if (maker) this.makerNotional += notional
    else this.takerNotional += notional
    const trade = this.open!
    trade.cost += fee + Math.abs(units) * Math.abs(price - raw)
    if (this.units !== 0) return
    // Flat again: equity is cash, and the trade's P&L is all of its change.
    const net = this.cash / trade.startEquity - 1
    const cost = trade.cost / trade.startEquity
    this.trades.push({
      side: trade.side,
      size: trade.size,
      decisionIndex: trade.decisionIndex,
      entryIndex: trade.entryIndex,
      exitIndex: bar,
      entryPrice: trade.entryPrice,
      exitPrice: raw,
      gross: net + cost,
      cost,
      net,
      exit: cause.exit,
    })
    this.open = null
    this.size = 0
  }
}
