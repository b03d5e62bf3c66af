import { writeParquet, type ParquetColumn } from '../data/parquet.js'
import type { FeatureFrame } from './frame.js'

/** A frame as Parquet: ts_utc (bar open time), usable (0/1), then one DOUBLE column per feature (NaN as NULL). */
export function writeFeaturesParquet(path: string, frame: FeatureFrame): Promise<void> {
  const columns: ParquetColumn[] = [
    { name: 'ts_utc', type: 'TIMESTAMP_MS', values: frame.ts },
    { name: 'usable', type: 'INTEGER', values: Int32Array.from(frame.usable) },
    ...frame.names.map((name, j): ParquetColumn => ({ name, type: 'DOUBLE', values: frame.columns[j] })),
  ]
  return writeParquet(path, columns)
}
