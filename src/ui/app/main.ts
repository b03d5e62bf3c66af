/** The browser app of `mlf ui`: a hash router over the pages; every page reads the server's JSON API. */
import { disposeCharts } from './live.js'
import { esc, ready, root, section } from './dom.js'
import { runsPage } from './runs-page.js'

function reportPage(id: string): void {
  root().innerHTML = section(
    `Run ${id}`,
    `<p><a href="/runs/${encodeURIComponent(id)}/report.html" target="_blank">Open the report on its own</a></p><iframe class="report" id="report-frame" src="/runs/${encodeURIComponent(id)}/report.html"></iframe>`,
  )
  const frame = document.getElementById('report-frame') as HTMLIFrameElement
  frame.addEventListener('load', () => ready('run'))
}

async function route(): Promise<void> {
  disposeCharts()
  delete root().dataset.ready
  const parts = location.hash.replace(/^#\/?/, '').split('/')
  const arg = decodeURIComponent(parts.slice(1).join('/'))
  document.querySelectorAll<HTMLElement>('[data-nav]').forEach((a) => {
    a.classList.toggle('on', a.dataset.nav === (parts[0] === 'sweep' ? 'sweeps' : parts[0] || 'runs'))
  })
  try {
    // Pages with charts load echarts with them.
    if (parts[0] === 'compare')
      await (await import('./compare-page.js')).comparePage(parts[1].split(',').map(decodeURIComponent))
    else if (parts[0] === 'sweeps') await (await import('./sweep-page.js')).sweepsPage()
    else if (parts[0] === 'sweep') await (await import('./sweep-page.js')).sweepPage(arg)
    else if (parts[0] === 'run') reportPage(arg)
    else await runsPage()
  } catch (err) {
    root().innerHTML = section('Error', `<p class="error">${esc((err as Error).message)}</p>`)
    ready('error')
  }
}

window.addEventListener('hashchange', () => void route())
void route()
