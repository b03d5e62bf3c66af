/**
 * A bundle as the server holds it: loaded and verified like `mlf predict` loads it (checksums, schemas, the chain
 * rebuilt through the registries), with the live feature engine of its feature config.
 */
import type { Bar } from '../data/bars.js'
import { loadBundle, type LoadedBundle } from '../pipeline/bundle.js'
import { viewNeeds } from '../pipeline/predict.js'
import { onlineCombiner } from '../ensemble/combined.js'
import { createLiveFeatures, type LiveFeatures } from './live-features.js'

/** What each served model is in the chain. */
export const CHAIN_ROLES: Readonly<Record<string, string>> = {
  primary: 'primary: answers first',
  fallback: 'fallback: answers when the primary fails',
}

export interface ServedModel {
  /** `primary` or `fallback`: the name clients use (routes, the prediction cache, OIP model names). */
  readonly name: string
  readonly dir: string
  readonly bundle: LoadedBundle
  readonly live: LiveFeatures
}

/**
 * Refuse a bundle the server cannot score row by row from live features: its models must take the feature matrix
 * (window, multi-resolution and foundation views need a history of frames the live path does not keep yet).
 */
export function assertServable(bundle: LoadedBundle): void {
  const needs = viewNeeds(bundle.config)
  const views = [needs.window && 'window_tensor', needs.multiRes && 'multi_res', needs.foundation && 'foundation']
  const other = views.filter((v): v is string => typeof v === 'string')
  if (other.length > 0) {
    throw new Error(
      `bundle ${bundle.dir}: mlf serve scores bundles whose models take the feature matrix; this one has models on ${other.join(', ')} views, which live scoring does not build`,
    )
  }
  // Regime columns and an online combiner's outcomes come from filters over the bars, which live scoring does not run.
  if (bundle.regimes.length > 0)
    throw new Error(
      `bundle ${bundle.dir}: its chain has regime models (${bundle.regimes.map((r) => r.prefix).join(', ')}), whose filtered columns live scoring does not build yet; score it with mlf predict`,
    )
  if (onlineCombiner(bundle.model))
    throw new Error(
      `bundle ${bundle.dir}: its combiner learns online from closed outcomes, which live scoring does not feed yet; score it with mlf predict`,
    )
}

/** Load and verify a bundle for serving. */
export async function loadServable(dir: string): Promise<LoadedBundle> {
  const bundle = await loadBundle(dir)
  assertServable(bundle)
  return bundle
}

/** The served model of a loaded bundle, its live features brought to the present by replaying `history`. */
export function serveModel(name: string, dir: string, bundle: LoadedBundle, history: Iterable<Bar>): ServedModel {
  assertServable(bundle)
  const live = createLiveFeatures(bundle)
  for (const bar of history) live.push(bar)
  return { name, dir, bundle, live }
}
