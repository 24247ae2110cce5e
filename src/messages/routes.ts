import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { serviceUnavailable } from '../http/problem.js'
import { problemResponses } from '../http/schemas.js'
import { createMessageGenerator } from './generate-message.js'
import { createGenerationLimits } from './generation-limits.js'
import { createGenerationMetrics } from './generation-metrics.js'
import { GenerateMessageBody, GeneratedMessage } from './schemas.js'

const security = [{ clientKey: [] }]

const messageRoutes: FastifyPluginAsyncTypebox = async app => {
  const generator = createMessageGenerator(app.ctx.config, createGenerationMetrics(app.ctx.metrics))
  const limits = createGenerationLimits(app.ctx)

  app.post('/messages/generate', {
    schema: {
      tags: ['messages'], security,
      summary: 'Draft one SMS with Azure OpenAI (primary deployment, then fallback); rate limited per client',
      body: GenerateMessageBody,
      response: { 200: GeneratedMessage, ...problemResponses(400, 401, 422, 429, 502, 503) }
    },
    preHandler: async (request, reply) => {
      if (generator.missing !== undefined) throw serviceUnavailable(`message generation is not configured: set ${generator.missing}`)
      await limits.admit(request.clientId, reply)
    }
  }, async request => await generator.generate(request.body, {
    onUsage: async usage => { await limits.spend(request.clientId, usage.totalTokens) },
    log: request.log,
    stopping: app.ctx.stopping
  }))
}

export default messageRoutes
