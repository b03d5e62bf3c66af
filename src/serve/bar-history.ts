import type { Bar } from '../data/bars.js'

/** The last `capacity` bars the server accepted, oldest first: what a reloaded bundle's feature engines replay. */
export interface BarHistory extends Iterable<Bar> {
  push(bar: Bar): void
  readonly size: number
  /** Bars accepted in all, kept or not. */
  readonly total: number
  last(): Bar | null
}

export function createBarHistory(capacity: number): BarHistory {
  const items = new Array<Bar>(capacity)
  let next = 0
  let size = 0
  let total = 0
  return {
    push(bar) {
      items[next] = { ...bar }
      next = (next + 1) % capacity
      size = Math.min(capacity, size + 1)
      total++
    },
    get size() {
      return size
    },
    get total() {
      return total
    },
    last: () => (size === 0 ? null : items[(next - 1 + capacity) % capacity]),
    *[Symbol.iterator]() {
      const first = (next - size + capacity) % capacity
      for (let k = 0; k < size; k++) yield items[(first + k) % capacity]
    },
  }
}
