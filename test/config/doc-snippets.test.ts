/**
 * Every ```yaml block of README.md and docs/*.md is parsed against the config schema, so the documented grammar is
 * the grammar the loader accepts.
 *
 * The convention:
 * - A yaml block is a config, or the part of one that the text is about: its top-level keys are config sections
 *   (symbol, data, base_models, inference, ...). It is parsed as a whole config by resolveConfig, the sections it
 *   leaves out taking their defaults, so every key, value and cross-field rule is checked as `mlf run` checks it.
 * - A block about models that `mlf run` cannot run yet (a view it does not build) says so with the HTML comment
 *   `<!-- config-check: model-params -->` on the line before its fence: each base_models entry is then held to the
 *   grammar of an entry (name, view, features, config) and its `config` to the model's own params schema.
 * - Anything that is not a config (shell, Python, JSON output) is fenced with its own language, never `yaml`.
 * - A sweep file (docs/sweeps.md) says so with `<!-- config-check: sweep -->`: it is resolved as a sweep placed in
 *   configs/sweeps/ (its base and data paths relative to there), which checks its base config and every value of its
 *   space too.
 * Comments inside a block are YAML comments: they parse as nothing, so a commented alternative is not checked.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { resolveConfig } from '../../src/config/load.js'
import { resolveSweep } from '../../src/sweep/config.js'
import { parseModelParams } from '../../src/models/registry.js'
import { repoRoot } from '../helpers.js'

interface Snippet {
  readonly file: string
  readonly line: number
  readonly text: string
  readonly check: 'config' | 'model-params' | 'sweep'
}

const SECTIONS = new Set(Object.keys(resolveConfig({})).filter((k) => k !== 'hash' && k !== 'source'))
const ENTRY_KEYS = new Set(['name', 'view', 'features', 'config'])

/** The ```yaml blocks of a markdown text, with the line of their first content line. */
export function yamlBlocks(file: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```\s*ya?ml\s*$/.exec(lines[i])
    if (!open) continue
    let j = i + 1
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++
    let k = i - 1
    while (k >= 0 && lines[k].trim() === '') k--
    const tag = k >= 0 ? /<!--\s*config-check:\s*(model-params|sweep)\s*-->/.exec(lines[k]) : null
    const check = tag ? (tag[1] as 'model-params' | 'sweep') : 'config'
    out.push({ file, line: i + 2, text: lines.slice(i + 1, j).join('\n'), check })
    i = j
  }
  return out
}

function documents(): Snippet[] {
  const files = [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ]
  return files.flatMap((f) => yamlBlocks(f, readFileSync(join(repoRoot, f), 'utf8')))
}

/** Why a snippet is not valid grammar, or null. */
function problem(s: Snippet): string | null {
  let raw: unknown
  try {
    raw = parse(s.text)
  } catch (err) {
    return `not YAML: ${(err as Error).message.split('\n')[0]}`
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not a mapping of config sections'
  if (s.check === 'sweep') {
    try {
      resolveSweep(raw, join(repoRoot, 'configs/sweeps/doc.yaml'))
      return null
    } catch (err) {
      return (err as Error).message
    }
  }
  const unknown = Object.keys(raw).filter((k) => !SECTIONS.has(k))
  if (unknown.length > 0) return `not config sections: ${unknown.join(', ')}`
  try {
    if (s.check === 'config') {
      resolveConfig(raw)
      return null
    }
    const models = (raw as { base_models?: unknown }).base_models
    if (!Array.isArray(models)) return 'a model-params block holds a base_models list'
    for (const [i, m] of models.entries()) {
      const extra = Object.keys(m as object).filter((k) => !ENTRY_KEYS.has(k))
      if (extra.length > 0)
        return `base_models.${i}: unknown keys ${extra.join(', ')} (an entry has ${[...ENTRY_KEYS].join(', ')})`
      const { name, config } = m as { name: string; config?: unknown }
      parseModelParams(name, config ?? {}, `base_models.${i}.config`)
    }
    return null
  } catch (err) {
    return (err as Error).message
  }
}

test('the docs hold yaml blocks, each found with its line', () => {
  const blocks = yamlBlocks(
    'x.md',
    'text\n```yaml\nseed: 1\n```\n<!-- config-check: model-params -->\n\n```yml\na: 1\n```\n```sh\nls\n```\n',
  )
  assert.deepEqual(
    blocks.map((b) => [b.line, b.text, b.check]),
    [
      [3, 'seed: 1', 'config'],
      [8, 'a: 1', 'model-params'],
    ],
  )
  assert.ok(documents().length >= 4)
})

test('every yaml block of README.md and docs/*.md parses against the config schema', () => {
  const bad = documents()
    .map((s) => ({ s, why: problem(s) }))
    .filter((r) => r.why !== null)
    .map((r) => `${r.s.file}:${r.s.line}: ${r.why}`)
  assert.deepEqual(bad, [])
})

test('a wrong key in a snippet is caught, as the foundation-models doc once showed params: for config:', () => {
  const s = (text: string, check: Snippet['check'] = 'config'): Snippet => ({ file: 'x.md', line: 1, text, check })
  assert.match(
    problem(s('base_models:\n  - name: xgboost\n    params: { max_depth: 3 }\n'))!,
    /Unrecognized key: "params"/,
  )
  assert.match(
    problem(s('base_models:\n  - name: chronos_bolt\n    params: { path: /m.onnx }\n', 'model-params'))!,
    /unknown keys params/,
  )
  assert.equal(
    problem(s('base_models:\n  - name: chronos_bolt\n    config: { path: /m.onnx }\n', 'model-params')),
    null,
  )
  // A full config is held to every rule of a run: chronos_bolt has no 3-class p (its default outputs).
  assert.match(problem(s('base_models:\n  - name: chronos_bolt\n    config: { path: /m.onnx }\n'))!, /cannot produce p/)
  assert.match(problem(s('$ mlf run'))!, /not a mapping/)
  assert.match(problem(s('models: [xgboost]'))!, /not config sections: models/)
})
