import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { Model, ModelSpec, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { createOnnxSession, onnxAvailability, type OnnxSession } from '../../engines/onnx/session.js'
import { featureMatrixOf, loadImported, outputsFor, readModelFile, saveImported, taskLabel } from './common.js'
import { requireModelFormat } from './format.js'

/**
 * An ONNX model trained elsewhere, served with onnxruntime-node. It takes a feature_matrix as one (n, f) input tensor
 * and produces one (n, k) output: k = 1 for binary (p_up) or regression (E_r), k = 2 for binary (column 1 is p_up),
 * k = classes for multi-class probabilities.
 */
export const onnxModelParams = z
  .strictObject({
    path: z.string().min(1).describe('Path of the .onnx model file'),
    /** Input tensor name; default: the model's only input. */
    input: z.string().min(1).optional().describe("Input tensor name; default: the model's only input"),
    /** Output tensor name; default: the model's first output. */
    output: z.string().min(1).optional().describe("Output tensor name; default: the model's first output"),
  })
  .readonly()
export type OnnxModelParams = z.infer<typeof onnxModelParams>

export const onnxModelSpec: ModelSpec = {
  name: 'onnx_model',
  family: 'imported',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: true,
}

interface Wiring {
  readonly input: string
  readonly output: string
}

function pick(names: readonly string[], wanted: string | undefined, what: string, source: string): string {
  if (wanted !== undefined) {
    if (!names.includes(wanted))
      throw new Error(`${source}: field "${what}" "${wanted}" is not in the model (has: ${names.join(', ')})`)
    return wanted
  }
  if (what === 'input' && names.length !== 1)
    throw new Error(`${source}: the model has ${names.length} inputs; set params.input`)
  if (names.length === 0) throw new Error(`${source}: the model has no ${what}s`)
  return names[0]
}

function onnxModel(bytes: Uint8Array, source: string, task: Task, wanted: Partial<Wiring>): Model {
  // Binary data that does not look like a ModelProto still goes to onnxruntime, which has the last word.
  requireModelFormat(bytes, source, onnxModelSpec.name, ['onnx', 'binary'], 'an ONNX model')
  const session: OnnxSession = createOnnxSession(bytes, source)
  const wiring: Wiring = {
    input: pick(
      session.inputs.map((i) => i.name),
      wanted.input,
      'input',
      source,
    ),
    output: pick(
      session.outputs.map((o) => o.name),
      wanted.output,
      'output',
      source,
    ),
  }
  const inInfo = session.inputs.find((i) => i.name === wiring.input)!
  if (inInfo.type !== 'float32' && inInfo.type !== 'float64') {
    throw new Error(
      `${source}: input "${wiring.input}" has element type ${inInfo.type}; a float32/float64 (n, f) tensor is needed`,
    )
  }
  if (inInfo.shape.length !== 2)
    throw new Error(`${source}: input "${wiring.input}" has rank ${inInfo.shape.length}, expected (n, f)`)
  const width = inInfo.shape[1]
  return {
    spec: onnxModelSpec,
    task,
    // Pre-trained: there is nothing to fit (zeroShot), so fitting leaves the model as imported.
    async fit() {},
    predict(view) {
      // A symbolic feature dimension accepts any width; onnxruntime checks it against the graph.
      const x = featureMatrixOf(
        view,
        'onnx_model',
        typeof width === 'number' ? width : view.kind === 'feature_matrix' ? view.f : -1,
      )
      const data = inInfo.type === 'float32' ? Float32Array.from(x.data) : x.data
      const out = session.run({ [wiring.input]: { data, dims: [x.n, x.f] } })[wiring.output]
      const k = out.dims.length === 1 ? 1 : out.dims[1]
      if (out.dims[0] !== x.n || out.data.length !== x.n * k) {
        throw new Error(`${source}: output "${wiring.output}" has shape [${out.dims.join(', ')}], expected [${x.n}, k]`)
      }
      let values: Float64Array
      if (task.kind === 'binary' && k === 2) {
        values = new Float64Array(x.n)
        for (let i = 0; i < x.n; i++) values[i] = out.data[i * 2 + 1]
      } else {
        const expected = task.kind === 'multiclass' ? task.classes : 1
        if (k !== expected)
          throw new Error(
            `${source}: output "${wiring.output}" has ${k} columns, which does not fit task ${taskLabel(task)}`,
          )
        values = Float64Array.from(out.data)
      }
      return outputsFor(task, x.n, values)
    },
    save: async (dir) => {
      const refs = await saveImported(dir, onnxModelSpec.name, task, 'model.onnx', bytes, source)
      await writeFile(join(dir, 'onnx.wiring.json'), JSON.stringify(wiring) + '\n')
      return { files: [...refs.files, 'onnx.wiring.json'] }
    },
  }
}

export const onnxModelEntry: ModelEntry<OnnxModelParams> = {
  spec: onnxModelSpec,
  params: onnxModelParams,
  available: onnxAvailability,
  create: (p, task) => onnxModel(readModelFile(p.path), p.path, task, { input: p.input, output: p.output }),
  load: async (dir) => {
    const { meta, path, bytes } = await loadImported(dir, onnxModelSpec.name)
    const wiringPath = join(dir, 'onnx.wiring.json')
    let wiring: Wiring
    try {
      wiring = JSON.parse(await readFile(wiringPath, 'utf8')) as Wiring
    } catch (err) {
      throw new Error(`${wiringPath}: cannot read ONNX wiring: ${(err as Error).message}`)
    }
    return onnxModel(bytes, path, meta.task, wiring)
  },
}
