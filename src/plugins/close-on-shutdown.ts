import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface CloseOnShutdownOptions {
  /** Aborted when shutdown begins. */
  stopping: AbortSignal
}

/**
 * Once shutdown began, every answer closes its connection: a keep-alive connection busy at
 * SIGTERM would otherwise keep close() waiting until it idles out (72 s).
 */
async function closeOnShutdown (app: FastifyInstance, { stopping }: CloseOnShutdownOptions): Promise<void> {
  app.addHook('onSend', async (_request, reply) => { if (stopping.aborted) void reply.header('connection', 'close') })
}

export default fp(closeOnShutdown, { name: 'close-on-shutdown' })
