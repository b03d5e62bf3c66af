// `npm run build:native`: builds the libtorch addon with node-gyp, skipping the build when sources are unchanged.
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const addon = join(here, 'build', 'Release', 'mlf_torch.node')
const stamp = join(here, 'build', 'sources.sha256')

if (!existsSync('/usr/include/torch/csrc/api/include/torch/torch.h') && !process.env.MLF_TORCH_FORCE_BUILD) {
  console.error('libtorch headers not found; install them with: sudo apt-get install libtorch-dev')
  process.exit(1)
}

const files = [
  'binding.gyp',
  'build.mjs',
  ...readdirSync(join(here, 'src'))
    .sort()
    .map((f) => join('src', f)),
]
const hash = createHash('sha256')
for (const f of files) hash.update(f).update(readFileSync(join(here, f)))
hash.update(process.version)
const digest = hash.digest('hex')

if (existsSync(addon) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  console.log('native/torch: up to date')
  process.exit(0)
}

// Build against the running node's own headers when they are installed beside it (no download needed).
const nodeDir = resolve(dirname(process.execPath), '..')
const args = [join(here, '..', '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
args.push(existsSync(join(here, 'build', 'Makefile')) ? 'build' : 'rebuild', '-j', String(Math.max(1, cpus().length)))
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`)
const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)
writeFileSync(stamp, digest)
console.log(`native/torch: built ${addon}`)
