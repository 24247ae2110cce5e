import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { serviceUnavailable } from '../http/problem.js'
import { ref, reply, RATE_LIMIT_HEADERS } from '../http/openapi.js'
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
      tags: ['messages'], security, operationId: 'generateMessage', summary: 'Draft an SMS with AI',
      description: 'Drafts one SMS with Azure OpenAI: the primary deployment, then the fallback on timeout, 429 or 5xx (`model: auto`). Rate limited per client (RateLimit-* on every answer) and by a daily token budget.',
      body: ref(GenerateMessageBody),
      response: {
        200: reply('The drafted message, its length in SMS terms and the tokens it used', GeneratedMessage, { headers: RATE_LIMIT_HEADERS }),
        ...problemResponses(400, 401, {
          422: 'Azure OpenAI\'s content filter refused the prompt (`content-filtered`): rephrase it',
          429: 'Over the per-minute limit (`rate-limited`) or the daily token budget (`token-budget-exhausted`): see Retry-After',
          502: 'No deployment produced a message (`generation-failed`; `attempts` says why)',
          503: 'Generation is not configured (`not-configured`) or the service is shutting down (`shutting-down`)'
        })
      }
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
