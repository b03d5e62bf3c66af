/**
 * The charts on the page, without importing echarts (the runs page loads no chart code): disposed when the page is
 * left, resized with the window.
 */
interface LiveChart {
  dispose(): void
  resize(): void
}

const live: LiveChart[] = []

export function track(chart: LiveChart): void {
  live.push(chart)
}

export function disposeCharts(): void {
  while (live.length > 0) live.pop()!.dispose()
}

window.addEventListener('resize', () => live.forEach((c) => c.resize()))
