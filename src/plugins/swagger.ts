import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'

export const OPENAPI_INFO = {
  title: 'Campaign Service',
  version: '1.0.0',
  description: 'Multi-tenant SMS nurture campaigns: leads, targeted campaigns with timed messages, scheduled activation, AI drafting and an Airtable mirror. Errors are application/problem+json (RFC 9457). Internal endpoints (tag `internal`) are served on INTERNAL_PORT only.'
}

/** Collects every route schema into an OpenAPI 3.1 document (one per listener). */
export default fp(async app => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: {
          clientKey: { type: 'http', scheme: 'bearer', description: 'A client API key (cs_...)' },
          adminKey: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY' },
          cronSecret: { type: 'http', scheme: 'bearer', description: 'CRON_SECRET (internal listener)' }
        }
      }
    }
  })
}, { name: 'swagger' })
