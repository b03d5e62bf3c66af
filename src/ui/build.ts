/**
 * Bundles the browser app (src/ui/app, plain TypeScript, echarts from node_modules) into dist/ui/app.js, the one
 * script `mlf ui` serves. Run by `npm run build` after tsc; the browser tests call it too, so they test the sources.
 */
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { BUNDLE_PATH } from './server.js'

export const APP_ENTRY = fileURLToPath(new URL('../../../src/ui/app/main.ts', import.meta.url))

export async function buildUi(outfile = BUNDLE_PATH): Promise<string> {
  await build({
    entryPoints: [APP_ENTRY],
    outfile,
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'linked',
    logLevel: 'warning',
  })
  return outfile
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildUi()
  process.stdout.write(`mlf ui: browser app bundled into ${out}\n`)
}
