/** The server's JSON API (src/ui/server.ts); an answer with an error becomes a thrown Error with its message. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } })
  const body = (await res.json()) as T & { error?: string }
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`)
  return body
}

export type Row = Record<string, string | number | null>

export interface Column {
  name: string
  type: 'text' | 'number'
  description: string
  filterable: boolean
}

export interface ReliabilityBin {
  lo: number
  hi: number
  meanPredicted: number | null
  observed: number | null
  count: number
}

export interface ComparedRun {
  runId: string
  row: Row
  curves: {
    ts: number[]
    net: (number | null)[]
    netDrawdown: (number | null)[]
    gross: (number | null)[] | null
    grossDrawdown: (number | null)[] | null
  } | null
  reliability: { before: ReliabilityBin[]; after: ReliabilityBin[] } | null
  featureImportance: { feature: string; gain: number | null }[]
}

export interface DiffRow {
  key: string
  values: (string | number | boolean | null)[]
}

export interface Compare {
  runIds: string[]
  config: DiffRow[]
  metrics: DiffRow[]
  compared: { config: number; metrics: number }
  importanceOf: string
  runs: ComparedRun[]
}

export interface SweepSummary {
  sweepId: string
  createdAt: string
  status: string
  dataFile: string
  metric: string | null
  sampler: string | null
  trials: number
}

export interface Sweep {
  sweepId: string
  createdAt: string
  status: string
  objective: { metric: string; direction: string } | null
  axes: { path: string; kind: 'log' | 'value' | 'category'; categories: string[] | null }[]
  trials: {
    window: string
    number: number
    status: string
    value: number | null
    seconds: number
    x: (number | null)[]
    curves: Record<string, { steps: number; min?: number; max?: number; last?: number }>
  }[]
}
