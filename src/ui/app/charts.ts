import * as echarts from 'echarts'

export const PALETTE = [
  '#2f6fdf',
  '#e4572e',
  '#17a398',
  '#f3a712',
  '#7d5ba6',
  '#5c6b73',
  '#c5283d',
  '#255f85',
  '#8cb369',
  '#b07bac',
]

import { track } from './live.js'

/**
 * An echarts chart in the element `id` without animation; the element's data-series lists the series drawn (what a
 * person sees in the legend, and what the browser tests read).
 */
export function chart(
  id: string,
  option: echarts.EChartsCoreOption & { series?: { name?: string; [k: string]: unknown }[] },
): void {
  const el = document.getElementById(id)
  if (!el) return
  const c = echarts.init(el)
  c.setOption({ animation: false, ...option })
  el.dataset.series = JSON.stringify((option.series ?? []).map((s) => s.name ?? ''))
  track(c)
}
