import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { docsDocument } from './openapi-document.js'

export interface DocsOptions {
  /** The whole service's document (both listeners'), built when asked for. */
  document: () => Record<string, unknown>
}

/** GET /openapi.json: the whole document; /docs: Swagger UI on the public operations only. */
async function docs (app: FastifyInstance, { document }: DocsOptions): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } }, async () => document())
  // The internal operations cannot be called from that page.
  await app.register(swaggerUi, { routePrefix: '/docs', transformSpecification: () => docsDocument(document()) })
}

export default fp(docs, { name: 'docs' })
