import fp from 'fastify-plugin'

/** Records every response in the shared latency histogram, labelled by route template. */
export default fp<{ listener: 'public' | 'internal' }>(async (app, { listener }) => {
  app.addHook('onResponse', async (request, reply) => {
    app.ctx.metrics.httpDuration.observe({
      listener,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode)
    }, reply.elapsedTime / 1000)
  })
}, { name: 'http-metrics', dependencies: ['context'] })
