/**
 * markov_switching_gate: per-regime member weights learned on the members' purged out-of-fold predictions, mixed at
 * each row by the filtered regime probabilities of a Markov switching model of returns fitted on the training
 * window (ensemble.regime, model markov_switching). The learner is regime-mixture.ts.
 */
import { regimeMixtureEntry } from './regime-mixture.js'

export const markovSwitchingGateEntry = regimeMixtureEntry('markov_switching_gate', 'markov_switching')
