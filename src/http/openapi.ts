import Type, { type Static, type TSchema } from 'typebox'

// How a route tells the OpenAPI document what it is (see README: "Documenting a route"):
// - a resource schema is a named component: `export const Lead = component('Lead', Type.Object(...))`,
//   registered once on every app (src/plugins/swagger.ts) and in the validators; routes and other
//   schemas point at it with `ref(Lead)`, never by embedding it;
// - each response says what it is: `reply('The lead', Lead, { headers: [...] })`;
// - examples live on the component (`examples: [...]`); the document shows them on every request
//   body and response that names the component.

const registry = new Map<string, TSchema>()

/** A schema that is a named component (`#/components/schemas/<name>`). */
export function component<T extends TSchema> (name: string, schema: T): T & { $id: string } {
  const existing = registry.get(name)
  if (existing !== undefined && existing !== schema) throw new Error(`component ${name} is declared twice`)
  const named = Object.assign(schema, { $id: name })
  registry.set(name, named)
  return named
}

/** Every component declared so far, for app.addSchema and the validators. */
export const components = (): TSchema[] => [...registry.values()]

/** A reference to a component, typed as the component itself. */
export function ref<T extends TSchema> (schema: T, options: { description?: string } = {}) {
  const id = (schema as { $id?: string }).$id
  if (id === undefined) throw new Error('ref() needs a component (declared with component())')
  return Type.Unsafe<Static<T>>({ $ref: id, ...options })
}

/** The response headers the service sends; a response lists the ones it carries by name. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': { type: 'string', maxLength: 128, description: 'The request id (the caller\'s X-Request-Id when valid, else a new UUID); it is in every log line of the request' },
  'Retry-After': { type: 'integer', minimum: 0, maximum: 86400, description: 'Seconds to wait before trying again' },
  'RateLimit-Limit': { type: 'integer', minimum: 0, maximum: 2147483647, description: 'Requests allowed in the current window' },
  'RateLimit-Remaining': { type: 'integer', minimum: 0, maximum: 2147483647, description: 'Requests left in the current window' },
  'RateLimit-Reset': { type: 'integer', minimum: 0, maximum: 86400, description: 'Seconds until the window resets' },
  'Idempotent-Replayed': { type: 'string', enum: ['true'], description: 'Present when this is the stored answer of an earlier request with the same Idempotency-Key' }
} as const
export type ResponseHeader = keyof typeof RESPONSE_HEADERS

export const RATE_LIMIT_HEADERS: ResponseHeader[] = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']

/** The headers of a response, in the form @fastify/swagger reads (`headers` beside the schema). */
export const headersOf = (names: readonly ResponseHeader[]) =>
  Object.fromEntries(names.map(name => [name, { ...RESPONSE_HEADERS[name] }]))

/**
 * A documented response: a description (required by the conventions test), its body schema (a
 * component is referenced, anything else inlined) and the headers it carries.
 */
export function reply<T extends TSchema> (description: string, schema: T, options: { headers?: readonly ResponseHeader[] } = {}) {
  const id = (schema as { $id?: string }).$id
  const body = id !== undefined ? { $ref: id } : { ...schema }
  return Type.Unsafe<Static<T>>({ ...body, description, ...(options.headers !== undefined ? { headers: headersOf(options.headers) } : {}) })
}

/** A response without a body (204). */
export const noContent = (description: string) => Type.Unsafe<null>({ type: 'null', description })
