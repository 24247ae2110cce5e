import fp from 'fastify-plugin'
import type { AppContext } from '../context.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared services: config, db, redis, metrics. */
    ctx: AppContext
  }
}

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  app.decorate('ctx', ctx)
}, { name: 'context' })
