/** Pack stage: the final window's chain as a checksummed bundle in the run's (temporary) folder. */
import { join } from 'node:path'
import { writeBundle } from '../../bundle/manifest.js'
import { baseInterval } from '../../config/schema.js'
import type { TemperatureScaler } from '../../inference/calibration/temperature.js'
import { bundleManifestFields, saveBundleArtifacts, warmupBars } from '../bundle.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { WindowResult } from './chain.js'
import type { ModelResult } from '../../tracking/types.js'

export async function packStage(
  ctx: RunContext,
  data: RunData,
  last: WindowResult,
  models: readonly ModelResult[],
  workDir: string,
): Promise<string> {
  const { config } = ctx
  const { frame } = data.lf
  const scaler = (last.postProcessors.find((p) => p.name === 'temperature')?.state ?? null) as TemperatureScaler | null
  const metrics = Object.fromEntries(models.map((m) => [m.name, m.metrics]))
  const checksum = await writeBundle(
    join(workDir, 'bundle'),
    bundleManifestFields(
      config,
      data.report.fingerprint,
      frame.schema,
      frame.volumeMode,
      warmupBars(frame.specs, baseInterval(config).ms),
      last.finalName,
      scaler,
      metrics,
    ),
    (tmp) =>
      saveBundleArtifacts(
        tmp,
        config,
        last.final,
        last.finalName,
        scaler,
        config.ensemble ? null : (last.members[0].features ?? null),
      ),
  )
  ctx.lap('bundle')
  return checksum
}
