/**
 * hmm_gate: per-state member weights learned on the members' purged out-of-fold predictions, mixed at each row by
 * the filtered state probabilities of a Gaussian HMM fitted on the training window (ensemble.regime, model hmm).
 * The learner is regime-mixture.ts.
 */
import { regimeMixtureEntry } from './regime-mixture.js'

export const hmmGateEntry = regimeMixtureEntry('hmm_gate', 'hmm')
