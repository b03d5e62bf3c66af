/**
 * Bundles the browser app (src/ui/app, plain TypeScript, echarts from node_modules) into dist/ui/: main.js and the
 * chunks it imports when a page needs them (echarts only with the pages that draw charts, so the runs table starts
 * without it). Run by `npm run build` after tsc; the browser tests call it too, so they test the sources.
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BUNDLE_DIR } from './server.js'

export const APP_ENTRY = fileURLToPath(new URL('../../../src/ui/app/main.ts', import.meta.url))

export async function buildUi(outdir = BUNDLE_DIR): Promise<string> {
  rmSync(outdir, { recursive: true, force: true })
  await build({
    entryPoints: [APP_ENTRY],
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'linked',
    logLevel: 'warning',
  })
  return outdir
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildUi()
  process.stdout.write(`mlf ui: browser app bundled into ${out}\n`)
}
