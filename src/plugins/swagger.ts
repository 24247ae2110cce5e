import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import { problemResponses } from '../http/schemas.js'

type RouteSchema = FastifySchema & { querystring?: { properties?: Record<string, { default?: unknown }>, required?: string[] }, response?: Record<string, unknown> }

/**
 * What every route does beyond its own schema, told in the document: a query parameter with a
 * default may be left out, and any request with a body can be malformed (400), too large (413)
 * or not JSON (415), and any API route answers 503 while the database is unreachable.
 * Documentation only; validation still uses the route's schema.
 */
function documentRoute ({ schema, url, route }: { schema: RouteSchema, url: string, route: { method: string | string[] } }): { schema: RouteSchema, url: string } {
  if (schema === undefined || schema === null) return { schema, url }
  let documented: RouteSchema = schema
  const query = schema.querystring
  if (query?.required !== undefined && query.properties !== undefined) {
    const properties = query.properties
    documented = { ...documented, querystring: { ...query, required: query.required.filter(name => properties[name]?.default === undefined) } }
  }
  const methods = ([] as string[]).concat(route.method)
  if (methods.some(method => ['POST', 'PUT', 'PATCH'].includes(method))) {
    documented = { ...documented, response: { ...problemResponses(400, 413, 415), ...documented.response } }
  }
  // Everything under /v1 and /internal reads the database: unreachable, it answers 503.
  if (/^\/(v1|internal)\//.test(url)) documented = { ...documented, response: { ...problemResponses(503), ...documented.response } }
  return { schema: documented, url }
}

export const OPENAPI_INFO = {
  title: 'Campaign Service',
  version: '1.0.0',
  description: 'Multi-tenant SMS nurture campaigns: leads, targeted campaigns with timed messages, scheduled activation, AI drafting and an Airtable mirror. Errors are application/problem+json (RFC 9457). Internal endpoints (tag `internal`) are served on INTERNAL_PORT only.'
}

/** Collects every route schema into an OpenAPI 3.1 document (one per listener). */
export default fp(async app => {
  await app.register(swagger, {
    transform: documentRoute as never,
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
