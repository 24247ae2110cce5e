import { RESPONSE_HEADERS } from '../http/openapi.js'

type Media = { schema?: { $ref?: string }, example?: unknown, examples?: unknown }
type Response = { headers?: Record<string, unknown>, content?: Record<string, Media> }
type Operation = { requestBody?: { required?: boolean, content?: Record<string, Media> }, responses?: Record<string, Response> }
type PathItem = Record<string, unknown> & { servers?: unknown[] }
type Document = Record<string, unknown> & { paths?: Record<string, PathItem>, tags?: unknown[], servers?: unknown[], components?: Record<string, Record<string, unknown> | undefined> }

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']
const operationsOf = (document: Document): Operation[] =>
  Object.values(document.paths ?? {}).flatMap(item => METHODS.filter(method => method in item).map(method => item[method] as Operation))

/** The internal listener's operations name it as their server: the public one cannot answer them. */
const INTERNAL_SERVERS = [{
  url: 'http://{host}:{port}',
  description: 'production: the internal listener (INTERNAL_PORT), reachable inside the cluster only; locally http://localhost:3001',
  variables: { host: { default: 'campaign-service-internal', description: 'the internal Service of your deployment' }, port: { default: '3001', description: 'INTERNAL_PORT' } },
  'x-internal': true
}]

/**
 * Every response carries X-Request-Id (plugins/request-id.ts); headers a route declares
 * by name become references to one shared definition each.
 */
function shareHeaders (document: Document): void {
  const headers: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(RESPONSE_HEADERS)) {
    const { description, ...rest } = schema
    headers[name] = { description, schema: rest }
  }
  for (const operation of operationsOf(document)) {
    for (const response of Object.values(operation.responses ?? {})) {
      const named = Object.keys(response.headers ?? {}).filter(name => name in RESPONSE_HEADERS)
      response.headers = { ...response.headers, ...Object.fromEntries(['X-Request-Id', ...named].map(name => [name, { $ref: `#/components/headers/${name}` }])) }
    }
  }
  document.components = { ...document.components, headers }
}

/** A request body or response naming a component shows that component's first example. */
function showExamples (document: Document): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, { examples?: unknown[] }>
  const medias = operationsOf(document).flatMap(operation => [
    ...Object.values(operation.requestBody?.content ?? {}),
    ...Object.values(operation.responses ?? {}).flatMap(response => Object.values(response.content ?? {}))
  ])
  for (const media of medias) {
    const name = media.schema?.$ref?.replace('#/components/schemas/', '')
    const example = name !== undefined ? schemas[name]?.examples?.[0] : undefined
    if (example !== undefined && media.example === undefined && media.examples === undefined) media.example = example
  }
}

/**
 * A body whose schema requires nothing may be left out (the route then takes its defaults);
 * @fastify/swagger marks every body required, which made generated clients send `{}`.
 */
function optionalBodies (document: Document): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, { required?: unknown[], minProperties?: number }>
  for (const operation of operationsOf(document)) {
    const medias = Object.values(operation.requestBody?.content ?? {})
    const requiresNothing = medias.length > 0 && medias.every(media => {
      const ref = media.schema?.$ref
      const schema = (ref !== undefined ? schemas[ref.replace('#/components/schemas/', '')] : media.schema) as { required?: unknown[], minProperties?: number } | undefined
      return schema !== undefined && (schema.required ?? []).length === 0 && (schema.minProperties ?? 0) === 0
    })
    if (requiresNothing && operation.requestBody !== undefined) operation.requestBody.required = false
  }
}

/** The public document with the internal listener's paths added, each under the internal server. */
export function mergeOpenApi (publicDoc: unknown, internalDoc: unknown): Document {
  const base = structuredClone(publicDoc) as Document
  const internal = structuredClone(internalDoc) as Document
  const internalPaths = Object.fromEntries(Object.entries(internal.paths ?? {}).map(([path, item]) => [path, { servers: INTERNAL_SERVERS, ...item }]))
  base.paths = { ...(base.paths ?? {}), ...internalPaths }
  base.components = { ...base.components, schemas: { ...internal.components?.schemas, ...base.components?.schemas } }
  base.tags = [
    { name: 'leads', description: 'Import and maintain leads' },
    { name: 'campaigns', description: 'Targeted SMS sequences and their enrollments' },
    { name: 'messages', description: 'AI drafting of message text' },
    { name: 'deliveries', description: 'Senders claim due messages and report what happened' },
    { name: 'inbound', description: 'Inbound SMS: opt-out keywords and replies' },
    { name: 'sync', description: 'Airtable mirror' },
    { name: 'admin', description: 'Clients and API keys (ADMIN_API_KEY)' },
    { name: 'operations', description: 'Health and readiness' },
    { name: 'internal', description: 'Served on INTERNAL_PORT only, never on the public port' }
  ]
  shareHeaders(base)
  showExamples(base)
  optionalBodies(base)
  return base
}

/**
 * What /docs shows: the public operations only, called on the server that serves the page, so
 * "Try it out" never offers a call that cannot work from there.
 */
export function docsDocument (document: Document): Document {
  const copy = structuredClone(document)
  copy.paths = Object.fromEntries(Object.entries(copy.paths ?? {}).filter(([, item]) => item.servers === undefined))
  copy.servers = [{ url: '/', description: 'this server' }]
  copy.tags = (copy.tags ?? []).filter(tag => (tag as { name?: string }).name !== 'internal')
  return copy
}
