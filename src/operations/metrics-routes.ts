import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'

const metricsRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/metrics', {
    schema: {
      tags: ['internal'], security: [], operationId: 'getMetrics', summary: 'Prometheus metrics',
      description: 'The Prometheus text exposition of the service\'s metrics (internal listener only).', produces: ['text/plain'],
      response: { 200: Type.String({ description: 'Prometheus text format 0.0.4', maxLength: 10_000_000 }) }
    }
  }, async (_request, reply) => {
    const { registry } = app.ctx.metrics
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
