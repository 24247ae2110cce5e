import { STATUS_CODES } from 'node:http'
import Type, { type Static, type TSchema } from 'typebox'
import { component, headersOf, ref, type ResponseHeader, RATE_LIMIT_HEADERS } from './openapi.js'
import { defaultProblemType, PROBLEM_TYPE_BASE, problemTypeUris } from './problem-types.js'

// Schemas shared by every feature: problem bodies, pagination, nullable helpers.

/** A string enum, typed as the union of its values (TypeBox's Enum leaves out `type: string`). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string, default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

const VALIDATION_PROBLEM_EXAMPLE = { type: `${PROBLEM_TYPE_BASE}validation-error`, title: 'Bad Request', status: 400, detail: 'leads/1/icpScore must be <= 100', errors: [{ path: 'leads/1/icpScore', message: 'must be <= 100' }] }

export const Problem = component('Problem', Type.Object({
  type: Type.String({ enum: problemTypeUris(), description: 'what went wrong, one of docs/problems.md; new types may be added, so treat an unknown one by its status' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String({ description: 'for people: what to change' }),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String({ description: 'the field, e.g. leads/3/email' }), message: Type.String() }), { description: 'the bad fields (at most 100)' })),
  errorCount: Type.Optional(Type.Integer({ description: 'how many fields were bad, when more than `errors` lists' }))
}, {
  additionalProperties: true,
  description: 'RFC 9457 problem details',
  examples: [VALIDATION_PROBLEM_EXAMPLE]
}))

/** A string with at least one visible character: "   " is no name, tag or message. */
export const NON_BLANK = '\\S'
export const NonBlank = (options: { maxLength: number, description?: string }) =>
  Type.String({ minLength: 1, pattern: NON_BLANK, ...options })

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 64, description: 'RFC 3339, UTC' })
/** A date-time the caller sends (any offset; stored in UTC). */
export const DateTimeInput = (description: string) => Type.String({ format: 'date-time', maxLength: 64, description })

/** The paging parameters every list takes; spread into a list's own query schema. */
export const PageQuery = {
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 50, description: 'items per page' }),
  cursor: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'nextCursor from the previous page' }))
}

export const ListQuery = Type.Object(PageQuery, { additionalProperties: false })
export type ListQuery = Static<typeof ListQuery>

/** An inline page; prefer pageOf, which names the page for generated clients. */
export const listOf = <T extends TSchema>(item: T) => Type.Object({
  data: Type.Array(item),
  nextCursor: Nullable(Type.String())
})

/** A page of a list, as a component named `name` (e.g. LeadPage); its example holds the item's. */
export const pageOf = <T extends TSchema>(name: string, item: T) => {
  const example = (item as { examples?: unknown[] }).examples?.[0]
  return component(name, Type.Object({
    data: Type.Array(ref(item)),
    nextCursor: Nullable(Type.String({ maxLength: 100, description: 'pass as ?cursor= for the next page; null on the last page' }))
  }, example !== undefined ? { examples: [{ data: [example], nextCursor: null }] } : {}))
}

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Retry-safe key: the same key and body within 24 h returns the first response without doing the work again; another body with the key → 422; while the first is still running → 409. A request that fails (4xx, 5xx) keeps nothing, so a corrected request may use the key again.' }))
})

/** Per-operation texts for problem statuses, e.g. `{ 404: 'No such campaign' }`. */
export type ProblemTexts = Partial<Record<number, string>>

/**
 * The error responses of an operation, for the document: `problemResponses(400, 401, { 404: 'No
 * such campaign' })`. A status without a text of its own gets the generic one below.
 */
export const problemResponses = (...items: Array<number | ProblemTexts>) => {
  const texts: ProblemTexts = {}
  for (const item of items) if (typeof item === 'object') Object.assign(texts, item)
  const statuses = [...new Set([...items.filter((item): item is number => typeof item === 'number'), ...Object.keys(texts).map(Number)])]
  return Object.fromEntries(statuses.map(status => {
    const description = texts[status] ?? PROBLEM_DESCRIPTIONS[status] ?? 'Problem details'
    return [status, {
      description,
      ...(PROBLEM_HEADERS[status] !== undefined ? { headers: headersOf(PROBLEM_HEADERS[status]) } : {}),
      content: { 'application/problem+json': { schema: ref(Problem), example: problemExample(status, description) } }
    }]
  }))
}

// Each status shows a problem of its own (the component's example is a 400): its generic type,
// the response's text as the detail.
function problemExample (status: number, description: string): Static<typeof Problem> {
  if (status === 400) return VALIDATION_PROBLEM_EXAMPLE
  return { type: `${PROBLEM_TYPE_BASE}${defaultProblemType(status)}`, title: STATUS_CODES[status] ?? 'Error', status, detail: description }
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names each offending field',
  401: 'Missing, unknown or revoked bearer token',
  404: 'Not found (also: another client\'s resource)',
  409: 'Conflict with the resource\'s state',
  413: 'Body too large',
  415: 'Body not sent as UTF-8 application/json, or compressed',
  422: 'Well-formed but cannot be processed',
  429: 'Rate limited: see Retry-After and RateLimit-* headers',
  500: 'Unexpected error: logged with the request id; the body carries no internals',
  502: 'Upstream failed',
  503: 'Not configured, shutting down, or the database is unreachable (see Retry-After)'
}

const PROBLEM_HEADERS: Record<number, readonly ResponseHeader[]> = {
  409: ['Retry-After'],
  429: ['Retry-After', ...RATE_LIMIT_HEADERS],
  503: ['Retry-After']
}

/** The 409 and 422 of an operation that takes an Idempotency-Key. */
export const IDEMPOTENCY_PROBLEMS: ProblemTexts = {
  409: 'A request with this Idempotency-Key is still running (retry after Retry-After)',
  422: 'This Idempotency-Key was used with a different body'
}

/** Builds the `{data, nextCursor}` page: callers fetch limit + 1 rows. */
export function page<Row, Item> (rows: Row[], limit: number, map: (row: Row) => Item, cursorOf: (row: Row) => string): { data: Item[], nextCursor: string | null } {
  const more = rows.length > limit
  const kept = more ? rows.slice(0, limit) : rows
  const last = kept[kept.length - 1]
  return { data: kept.map(map), nextCursor: more && last !== undefined ? cursorOf(last) : null }
}
