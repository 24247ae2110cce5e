import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface ResponseHeadersOptions {
  /** Answers under this path carry tenants' data and, from the admin API, new keys: no cache may keep them (errors included). */
  noStorePrefix: string
}

/** Headers every answer carries: nosniff, and no-store where the answer is private. */
async function responseHeaders (app: FastifyInstance, { noStorePrefix }: ResponseHeadersOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff')
    if (request.url.startsWith(noStorePrefix)) void reply.header('cache-control', 'no-store')
  })
}

export default fp(responseHeaders, { name: 'response-headers' })
