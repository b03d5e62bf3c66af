/**
 * bench/latency: single-row prediction latency of the fast predictors (src/models/fast) against scikit-learn's
 * single-row predict_proba on the same exported models (55 features x 3 classes): logistic (linear softmax),
 * Gaussian NB, and a weighted ensemble of 5 members. Targets: linear and NB under 100 ns, ensemble under 30 us.
 * BENCH ratio = ours / sklearn for the linear model; the NB and ensemble figures are extra key=values.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createFastEnsemble } from '../../src/models/fast/ensemble.js'
import { fastFromSklearn } from '../../src/models/fast/sklearn.js'
import type { FastPredictor } from '../../src/models/fast/types.js'
import { parseSklearnJson } from '../../src/models/imported/sklearn.js'
import { benchLine, median, repoRoot, runPythonPeer } from '../lib.js'

const CALLS = 200_000
const REPEATS = 15

/** Median over repeats of (batch time / calls), cycling through `rows` rows of `x`. */
function nsPerPrediction(p: FastPredictor, x: Float64Array, rows: number): { ns: number; checksum: number } {
  const f = p.features
  let checksum = 0
  const per: number[] = []
  for (let r = 0; r < REPEATS; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0, row = 0; i < CALLS; i++) {
      checksum += p.predict(x, row * f)[0]
      if (++row === rows) row = 0
    }
    per.push(Number(process.hrtime.bigint() - t0) / CALLS)
  }
  return { ns: median(per), checksum }
}

export default async function run(): Promise<void> {
  const dir = join(repoRoot, 'test', 'fixtures', 'sklearn')
  const lrPath = join(dir, 'export_logistic_multiclass.json')
  const nbPath = join(dir, 'export_gaussian_nb_multiclass.json')
  const lrJson = readFileSync(lrPath, 'utf8')
  const lr = fastFromSklearn(parseSklearnJson(lrJson, lrPath))
  const nb = fastFromSklearn(parseSklearnJson(readFileSync(nbPath, 'utf8'), nbPath))
  const inputs = (JSON.parse(lrJson) as { test_inputs: number[][] }).test_inputs
  const x = Float64Array.from(inputs.flat())
  const rows = inputs.length
  // Five members (separate predictors with their own buffers), weights as in the peer.
  const ensemble = createFastEnsemble(
    [
      lr,
      nb,
      fastFromSklearn(parseSklearnJson(lrJson, lrPath)),
      fastFromSklearn(parseSklearnJson(readFileSync(nbPath, 'utf8'), nbPath)),
      fastFromSklearn(parseSklearnJson(lrJson, lrPath)),
    ],
    [0.3, 0.2, 0.2, 0.2, 0.1],
  )
  // Warm up the JIT before measuring.
  for (const p of [lr, nb, ensemble]) nsPerPrediction(p, x, rows)
  const linear = nsPerPrediction(lr, x, rows)
  const bayes = nsPerPrediction(nb, x, rows)
  const vote = nsPerPrediction(ensemble, x, rows)

  const peer = runPythonPeer(join(repoRoot, 'bench', 'latency', 'peer.py'), [lrPath, nbPath, '20000'])
  const peerNs = (k: string): number => (peer[k] as number) * 1e9
  process.stdout.write(
    `linear 55x3: ${linear.ns.toFixed(1)} ns (target < 100), gaussian NB 55x3: ${bayes.ns.toFixed(1)} ns (target < 100), ` +
      `ensemble of 5: ${vote.ns.toFixed(1)} ns (target < 30000); checksum ${(linear.checksum + bayes.checksum + vote.checksum).toFixed(3)}\n`,
  )
  process.stdout.write(
    benchLine('latency', linear.ns / 1e9, peer.seconds as number, {
      linear_ns: linear.ns,
      nb_ns: bayes.ns,
      ensemble5_ns: vote.ns,
      peer_linear_ns: peerNs('seconds'),
      peer_nb_ns: peerNs('nb_seconds'),
      peer_ensemble5_ns: peerNs('ensemble_seconds'),
      nb_ratio: bayes.ns / peerNs('nb_seconds'),
      ensemble_ratio: vote.ns / peerNs('ensemble_seconds'),
    }) + '\n',
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
