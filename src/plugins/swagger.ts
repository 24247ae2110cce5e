import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import { components } from '../http/openapi.js'
import { problemResponses } from '../http/schemas.js'

type RouteSchema = FastifySchema & { querystring?: { properties?: Record<string, { default?: unknown }>, required?: string[] }, response?: Record<string, unknown> }

/**
 * What every route does beyond its own schema, told in the document: a query parameter with a
 * default may be left out; a request with a body can be malformed (400), too large (413) or not
 * JSON (415); any route can fail unexpectedly (500); any API route answers 503 while the database
 * is unreachable. Documentation only; validation still uses the route's schema.
 */
function documentRoute ({ schema, url }: { schema: RouteSchema, url: string }): { schema: RouteSchema, url: string } {
  if (schema === undefined || schema === null) return { schema, url }
  let documented: RouteSchema = schema
  const query = schema.querystring
  if (query?.required !== undefined && query.properties !== undefined) {
    const properties = query.properties
    documented = { ...documented, querystring: { ...query, required: query.required.filter(name => properties[name]?.default === undefined) } }
  }
  if (schema.body !== undefined) documented = { ...documented, response: { ...problemResponses(400, 413, 415), ...documented.response } }
  // Everything under /v1 and /internal reads the database: unreachable, it answers 503.
  if (/^\/(v1|internal)\//.test(url)) documented = { ...documented, response: { ...problemResponses(503), ...documented.response } }
  documented = { ...documented, response: { ...documented.response, ...problemResponses(500) } }
  return { schema: documented, url }
}

export const OPENAPI_INFO = {
  title: 'Campaign Service',
  version: '1.0.0',
  description: 'Multi-tenant SMS nurture campaigns: leads, targeted campaigns with timed messages, scheduled activation, AI drafting and an Airtable mirror. Errors are application/problem+json (RFC 9457): their `type` values are listed in docs/problems.md. Internal endpoints (tag `internal`) are served on INTERNAL_PORT only and say so with a server of their own.',
  contact: { name: 'Campaign Service maintainers' },
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' }
}

/** The public API; the internal operations name their own server (src/plugins/openapi-document.ts). */
export const PUBLIC_SERVERS = [{
  url: 'https://{host}',
  description: 'production: the public API (PORT) behind the TLS ingress; locally use http://localhost:3000',
  variables: { host: { default: 'campaigns.example.com', description: 'the public host of your deployment' } },
  'x-internal': false
}]

/** Collects every route schema into an OpenAPI 3.1 document (one per listener). */
export default fp(async app => {
  // Components once per app: the serializers resolve `ref()`s against them, the document lists them.
  for (const schema of components()) app.addSchema(schema)
  await app.register(swagger, {
    transform: documentRoute as never,
    // Components keep their names (`#/components/schemas/Lead`, not def-0).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: PUBLIC_SERVERS,
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
