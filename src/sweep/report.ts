import type { SweepResult } from './coordinator.js'
import type { TrialRow } from '../tracking/sweeps.js'

export function renderSweepReport(result: SweepResult, trials: readonly TrialRow[]): string {
  return `<!doctype html><title>${result.sweepId}</title><p>${trials.length} trials</p>`
}
