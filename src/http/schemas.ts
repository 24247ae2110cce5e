import Type, { type Static, type TSchema } from 'typebox'

// Schemas shared by every feature: problem bodies, pagination, nullable helpers.

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'the bad fields (at most 100)' })),
  errorCount: Type.Optional(Type.Integer({ description: 'how many fields were bad, when more than `errors` lists' }))
}, { additionalProperties: true, description: 'RFC 9457 problem details' })

/** A string with at least one visible character: "   " is no name, tag or message. */
export const NON_BLANK = '\\S'
export const NonBlank = (options: { maxLength: number, description?: string }) =>
  Type.String({ minLength: 1, pattern: NON_BLANK, ...options })

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Uuid = Type.String({ format: 'uuid' })
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' })

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ format: 'uuid', description: 'nextCursor from the previous page' }))
}, { additionalProperties: false })
export type ListQuery = Static<typeof ListQuery>

export const listOf = <T extends TSchema>(item: T) => Type.Object({
  data: Type.Array(item),
  nextCursor: Nullable(Type.String())
})

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Retry-safe key: the same key and body within 24 h returns the first response without doing the work again; another body with the key → 422; while the first is still running → 409. A request that fails (4xx, 5xx) keeps nothing, so a corrected request may use the key again.' }))
})

/** Standard error responses for a route's schema, so the OpenAPI document lists them. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map(status => [status, {
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem details',
    content: { 'application/problem+json': { schema: Problem } }
  }]))

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names each offending field',
  401: 'Missing, unknown or revoked bearer token',
  404: 'Not found (also: another client\'s resource)',
  409: 'Conflict with the resource\'s state, or the same Idempotency-Key still running',
  413: 'Body too large',
  415: 'Body not sent as application/json',
  422: 'Idempotency-Key reused with a different body',
  429: 'Rate limited: see Retry-After and RateLimit-* headers',
  502: 'Upstream failed',
  503: 'Not configured, shutting down, or the database is unreachable (see Retry-After)'
}

/** Builds the `{data, nextCursor}` page: callers fetch limit + 1 rows. */
export function page<Row, Item> (rows: Row[], limit: number, map: (row: Row) => Item, cursorOf: (row: Row) => string): { data: Item[], nextCursor: string | null } {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  const last = kept[kept.length - 1]
  return { data: kept.map(map), nextCursor: more && last !== undefined ? cursorOf(last) : null }
}
