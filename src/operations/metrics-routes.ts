import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const metricsRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/metrics', { schema: { tags: ['internal'], summary: 'Prometheus metrics (internal listener)', produces: ['text/plain'] } }, async (_request, reply) => {
    const { registry } = app.ctx.metrics
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default metricsRoutes
