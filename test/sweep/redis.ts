/** A real Redis for the BullMQ tests: Debian's redis-server on loopback, an ephemeral port, a temp dir; never a mock. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { tempDir } from '../helpers.js'

export const REDIS_MISSING =
  'redis-server is not installed (scripts/setup.sh installs it); the BullMQ tests are skipped'

export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/** Lines a child process writes, and a wait for one matching a pattern. */
export function watchLines(child: ChildProcess): {
  lines: string[]
  waitFor: (re: RegExp, ms?: number) => Promise<string>
} {
  const lines: string[] = []
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = []
  let rest = ''
  const onData = (chunk: Buffer) => {
    rest += chunk.toString()
    const parts = rest.split('\n')
    rest = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const w of [...waiters]) {
        if (!w.re.test(line)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  return {
    lines,
    waitFor: (re, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => re.test(l))
        if (seen) return resolve(seen)
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${re} within ${ms} ms:\n${lines.join('\n')}`)),
          ms,
        )
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) })
      }),
  }
}

export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const dir = tempDir('mlf-redis-')
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  await watchLines(child).waitFor(/Ready to accept connections/, 20_000)
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
