import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { buildUi } from '../../src/ui/build.js'
import { uiStore } from '../ui/fixture.js'
import { repoRoot } from '../helpers.js'

const MAIN = join(repoRoot, 'dist/src/cli/main.js')

test('mlf ui serves the store on loopback, says where, and stops on SIGTERM', async () => {
  await buildUi()
  const store = uiStore(4, 3)
  const child = spawn(process.execPath, [MAIN, 'ui', '--store', store, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (m) resolve(m[1])
      })
      child.on('exit', (code) => reject(new Error(`mlf ui exited (${code}) before listening: ${out}`)))
    })
    const body = (await (await fetch(`${url}/api/runs`)).json()) as { rows: unknown[] }
    assert.equal(body.rows.length, 4)
  } finally {
    child.kill('SIGTERM')
  }
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 0)
})

test('mlf ui refuses a bad port and a missing store with clear messages', () => {
  const port = spawnSync(process.execPath, [MAIN, 'ui', '--port', 'x'], { encoding: 'utf8' })
  assert.equal(port.status, 1)
  assert.match(port.stderr, /mlf: --port must be a whole number from 0 to 65535, got "x"/)
  const none = spawnSync(process.execPath, [MAIN, 'ui', '--store', '/nonexistent/mlf.sqlite', '--port', '0'], {
    encoding: 'utf8',
  })
  assert.equal(none.status, 1)
  assert.match(none.stderr, /mlf: no run store at \/nonexistent\/mlf.sqlite/)
})
