import assert from 'node:assert/strict'
import { runInNewContext } from 'node:vm'

/**
 * Runs the page's chart script against a stand-in `echarts` and `document`, returning the option given to each
 * chart container: this proves the browser code parses, runs, and wires each container to its data.
 */
export function runChartScript(html: string): Map<string, Record<string, unknown>> {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1])
  const chartScript = scripts[scripts.length - 1]
  const ids = new Set([...html.matchAll(/<div class="chart" id="([a-z0-9-]+)"/g)].map((m) => m[1]))
  const dataText = /id="mlf-chart-data">([\s\S]*?)<\/script>/.exec(html)![1]
  const options = new Map<string, Record<string, unknown>>()
  const document = {
    getElementById(id: string) {
      if (id === 'mlf-chart-data') return { textContent: dataText }
      return ids.has(id) ? { id } : null
    },
  }
  const echarts = {
    init(el: { id: string }) {
      return {
        setOption(o: Record<string, unknown>) {
          assert.ok(!options.has(el.id), `${el.id} initialized twice`)
          // Through JSON: plain objects of this realm (functions such as tooltip formatters are dropped).
          options.set(el.id, JSON.parse(JSON.stringify(o)) as Record<string, unknown>)
        },
        resize() {},
      }
    },
  }
  runInNewContext(chartScript, { document, echarts, window: { addEventListener() {} }, JSON })
  return options
}
