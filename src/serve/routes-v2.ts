/**
 * The Open Inference Protocol (KServe v2) routes, so that its clients can call the server: liveness, readiness,
 * model metadata and infer. A model takes one input tensor, `features`, of shape [n, f] (its feature schema's order,
 * FP64 or FP32, data flat in row-major order) and answers one FP64 tensor of shape [n] per output column; the
 * answer's parameters name the link of the chain that produced it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { publicAnswer } from './chain.js'
import { RequestError } from './errors.js'
import { frameFromRows, rowsStep } from './routes-v1.js'
import { chainModels, unknownModel, type MlfServer } from './server.js'
import type { ServedModel } from './served-model.js'

export const INPUT_NAME = 'features'

const inferBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer', minimum: 1 } },
          datatype: { enum: ['FP64', 'FP32'] },
          parameters: { type: 'object' },
          data: { type: 'array', items: { type: 'number' } },
        },
      },
    },
    outputs: { type: 'array' },
  },
} as const

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 } },
} as const

interface InferInput {
  name: string
  shape: [number, number]
  datatype: 'FP64' | 'FP32'
  data: number[]
}

/** The output columns a served model answers, in signature order. */
const outputColumns = (m: ServedModel): readonly string[] => m.bundle.manifest.signature.outputs

export function registerV2(app: FastifyInstance, server: MlfServer): void {
  const served = (name: string): ServedModel => {
    const m = chainModels(server.state()).find((x) => x.name === name)
    if (!m) throw new RequestError(404, unknownModel(name, server.state()), 'name')
    return m
  }

  app.get('/v2/health/live', async () => ({ live: true }))
  app.get('/v2/health/ready', async (_request: FastifyRequest, reply: FastifyReply) => {
    const ready = !server.closing()
    return reply.code(ready ? 200 : 503).send({ ready })
  })

  app.get('/v2/models/:name', { schema: { params: nameParams } }, async (request: FastifyRequest) => {
    const m = served((request.params as { name: string }).name)
    const f = m.bundle.manifest.feature_schema.names.length
    return {
      name: m.name,
      versions: [m.bundle.manifest.bundle_version],
      platform: 'mlfactory',
      parameters: { checksum: m.bundle.checksum, bundle_version: m.bundle.manifest.bundle_version },
      inputs: [{ name: INPUT_NAME, datatype: 'FP64', shape: [-1, f] }],
      outputs: outputColumns(m).map((name) => ({ name, datatype: 'FP64', shape: [-1] })),
    }
  })

  app.get('/v2/models/:name/ready', { schema: { params: nameParams } }, async (request: FastifyRequest) => {
    served((request.params as { name: string }).name)
    return { ready: !server.closing() }
  })

  app.post(
    '/v2/models/:name/infer',
    { schema: { params: nameParams, body: inferBodySchema } },
    async (request: FastifyRequest) => {
      const name = (request.params as { name: string }).name
      const m = served(name)
      const body = request.body as { id?: string; inputs: InferInput[] }
      const input = body.inputs[0]
      if (input.name !== INPUT_NAME)
        throw new RequestError(400, `inputs[0].name is "${input.name}"; the input is "${INPUT_NAME}"`, 'inputs[0].name')
      const [n, f] = input.shape
      if (n * f !== input.data.length)
        throw new RequestError(
          400,
          `inputs[0].data has ${input.data.length} values, shape [${n}, ${f}] needs ${n * f}`,
          'inputs[0].data',
        )
      const rows = Array.from({ length: n }, (_, i) => input.data.slice(i * f, (i + 1) * f))
      const frame = frameFromRows(rows, m, 'inputs[0] row')
      const result = server.answer(name, rowsStep(frame, m), n)
      const columns = [...new Set(result.outputs.flatMap((o) => Object.keys(o)))]
      const { source, neutral, fallbacks } = publicAnswer(result)
      return {
        model_name: m.name,
        model_version: m.bundle.manifest.bundle_version,
        ...(body.id !== undefined ? { id: body.id } : {}),
        parameters: { source, neutral, fallbacks: JSON.stringify(fallbacks), bundle_checksum: m.bundle.checksum },
        outputs: columns.map((c) => ({
          name: c,
          datatype: 'FP64',
          shape: [n],
          data: result.outputs.map((o) => o[c]),
        })),
      }
    },
  )
}
