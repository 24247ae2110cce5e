import { Ajv, type ErrorObject } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { fullFormats } from 'ajv-formats/dist/formats.js'
import type { FastifySchemaCompiler } from 'fastify'
import { components } from './openapi.js'
import type { FieldError } from './problem.js'
import { NON_BLANK } from './schemas.js'

// ajv-formats ships CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

// RFC 3339 date-times PostgreSQL can store: ajv-formats' rule, plus a year from 0001 (PostgreSQL
// has no year 0), up to 9999, also in UTC, and an offset of at most 15:59 (its limit; real zones
// stay within ±14:00).
// The year is checked after PostgreSQL's rounding to microseconds: 9999-12-31T23:59:59.9999999Z
// is stored as year 10000, which no RFC 3339 answer can carry.
const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-](\d{2}):\d{2})$/

/** Microseconds of a fraction's digits, rounded half to even as PostgreSQL does (may be 1,000,000). */
function roundedMicroseconds (digits: string): number {
  const micro = Number(digits.slice(0, 6).padEnd(6, '0'))
  const rest = digits.slice(6)
  if (rest === '' || rest[0] === undefined || rest[0] < '5') return micro
  const exactlyHalf = rest[0] === '5' && /^0*$/.test(rest.slice(1))
  return exactlyHalf && micro % 2 === 0 ? micro : micro + 1
}

function storableDateTime (base: (value: string) => boolean): (value: string) => boolean {
  return value => {
    const match = RFC3339.exec(value)
    if (match === null || !base(value) || Number(match[4] ?? 0) > 15) return false
    const wholeSeconds = Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`.replace(' ', 'T').toUpperCase())
    const utcYear = new Date(wholeSeconds + Math.floor(roundedMicroseconds(match[2] ?? '') / 1000)).getUTCFullYear()
    return utcYear >= 1 && utcYear <= 9999
  }
}

function makeAjv (coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false })
  addFormats(ajv)
  const dateTime = fullFormats['date-time'] as { validate: (value: string) => boolean, compare: (a: string, b: string) => number | undefined }
  ajv.addFormat('date-time', { type: 'string', validate: storableDateTime(dateTime.validate), compare: dateTime.compare })
  // ajv-formats also accepts "urn:uuid:<uuid>", which PostgreSQL's uuid type refuses (a 500).
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  return ajv
}

// Bodies are validated strictly: "50" is not a number and unknown fields are refused, so a typo
// in a field name fails loudly. Query strings, params and headers are text and get coerced.
const bodyAjv = makeAjv(false)
const textAjv = makeAjv('array')

// Route schemas point at named components (`ref(Lead)`): each validator learns every component
// once, before the first schema that may name it is compiled.
const known = new WeakMap<Ajv, Set<string>>()
function withComponents (ajv: Ajv): Ajv {
  const ids = known.get(ajv) ?? new Set<string>()
  known.set(ajv, ids)
  for (const schema of components()) {
    const id = (schema as { $id: string }).$id
    if (!ids.has(id)) { ajv.addSchema(schema); ids.add(id) }
  }
  return ajv
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  return withComponents(httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
}

/** Turns ajv errors into `{path, message}` with slash paths such as `leads/3/firstName`. */
export function fieldErrors (errors: Array<Partial<ErrorObject>>, context: string | undefined): FieldError[] {
  const seen = new Set<string>()
  const result: FieldError[] = []
  // A failed anyOf (nullable fields, unions) also reports every branch at the same path;
  // keep one plain message for that path instead of the branch noise.
  const unionPaths = new Set(errors.filter(e => e.keyword === 'anyOf' || e.keyword === 'oneOf').map(e => e.instancePath ?? ''))
  // A union whose branch failed inside the value (a nullable object with a bad field) is
  // reported by those inner errors alone: `sendWindow/start ...`, not also `sendWindow must be null`.
  const innerPaths = errors.filter(e => !unionPaths.has(e.instancePath ?? '') || e.keyword === 'required' || e.keyword === 'additionalProperties')
    .map(e => e.keyword === 'required' || e.keyword === 'additionalProperties' ? `${e.instancePath ?? ''}/_` : e.instancePath ?? '')
  const failedInside = (path: string) => innerPaths.some(inner => inner.startsWith(`${path}/`))
  for (const error of errors) {
    const isUnion = error.keyword === 'anyOf' || error.keyword === 'oneOf'
    if (isUnion && failedInside(error.instancePath ?? '')) continue
    if (unionPaths.has(error.instancePath ?? '') && !isUnion && error.keyword !== 'required' && error.keyword !== 'additionalProperties') continue
    let path = (error.instancePath ?? '').replace(/^\//, '')
    const params = (error.params ?? {}) as Record<string, unknown>
    let message = error.message ?? 'is invalid'
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = path ? `${path}/${params.missingProperty}` : params.missingProperty
      message = 'is required'
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = path ? `${path}/${params.additionalProperty}` : params.additionalProperty
      message = 'is not a known field'
    } else if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      message = unionMessage(errors.filter(e => e.instancePath === error.instancePath && e !== error))
    } else if (error.keyword === 'pattern' && params.pattern === NON_BLANK) {
      message = 'must not be blank'
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map(v => JSON.stringify(v)).join(', ')}`
    }
    if (path === '') path = context ?? 'body'
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    result.push({ path, message })
  }
  return result
}

/** One message for a failed union: a branch's own rule (e.g. "must be >= 1"), else the types allowed. */
function unionMessage (branches: Array<Partial<ErrorObject>>): string {
  const specific = branches.find(e => e.keyword !== 'type' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf')
  if (specific?.message !== undefined) return specific.message
  const types = branches.filter(e => e.keyword === 'type').map(e => String((e.params as { type?: unknown } | undefined)?.type))
  return types.length > 0 ? `must be ${types.join(' or ')}` : 'has the wrong type or value'
}

// NUL cannot be stored in PostgreSQL text, and a lone UTF-16 surrogate is not Unicode at all:
// either would fail deep in the database as a 500. Refused up front, naming the field.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNSAFE_MESSAGE = 'must not contain NUL (U+0000) or unpaired surrogate characters'

// No request of this API nests deeper than a few levels; 10,000 levels of [[[...]]] (a 20 KB body)
// must be a 400, not a stack overflow anywhere downstream.
export const MAX_JSON_DEPTH = 32

/**
 * Every string (and object key) in a parsed body, query or params that text columns cannot hold,
 * and any value nested more than MAX_JSON_DEPTH levels. Walks with its own stack, not recursion.
 */
export function unsafeTextErrors (value: unknown): FieldError[] {
  return isSafeText(value, 0) ? [] : unsafeTextPaths(value)
}

// Any NUL or surrogate at all: only a string containing one can fail UNSAFE_TEXT (a simple class
// is far cheaper to run than its lookarounds, on every string of a 5,000-lead import).
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const MAYBE_UNSAFE = /[\u0000\uD800-\uDFFF]/
const safeString = (text: string): boolean => !MAYBE_UNSAFE.test(text) || !UNSAFE_TEXT.test(text)

/** True when unsafeTextPaths would find nothing: the same walk without building a path per value. */
function isSafeText (value: unknown, depth: number): boolean {
  if (typeof value === 'string') return safeString(value)
  if (value === null || typeof value !== 'object') return true
  if (depth >= MAX_JSON_DEPTH) return false
  if (Array.isArray(value)) {
    for (const item of value) if (!isSafeText(item, depth + 1)) return false
    return true
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (!safeString(key) || !isSafeText((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return true
}

function unsafeTextPaths (value: unknown): FieldError[] {
  const errors: FieldError[] = []
  const pending: Array<{ value: unknown, path: string, depth: number, badKey?: true }> = [{ value, path: '', depth: 0 }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: item, path, depth } = next
    if (next.badKey === true) {
      errors.push({ path, message: 'field name ' + UNSAFE_MESSAGE })
    } else if (typeof item === 'string') {
      if (UNSAFE_TEXT.test(item)) errors.push({ path, message: UNSAFE_MESSAGE })
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH) {
        errors.push({ path, message: `is nested too deeply (more than ${MAX_JSON_DEPTH} levels)` })
        continue
      }
      // Pushed in reverse, so the errors come out in document order.
      for (const [key, child] of Object.entries(item).reverse()) {
        const childPath = path === '' ? key : `${path}/${key}`
        pending.push(UNSAFE_TEXT.test(key) ? { value: undefined, path: childPath, depth, badKey: true } : { value: child, path: childPath, depth: depth + 1 })
      }
    }
  }
  return errors
}

/** For a route that takes no body: nothing, or an empty object. */
export function unexpectedBodyErrors (body: unknown): FieldError[] {
  if (body === undefined || body === null) return []
  if (typeof body === 'object' && !Array.isArray(body)) return Object.keys(body).map(path => ({ path, message: 'is not a known field (this endpoint takes no body)' }))
  return [{ path: 'body', message: 'must be empty (this endpoint takes no body)' }]
}

/**
 * preValidation for a route whose body schema requires nothing (the document marks that body
 * optional): a missing body is validated, and defaulted, as {}. A JSON null stays a body, and fails.
 */
export async function missingBodyAsEmpty (request: { body: unknown }): Promise<void> {
  if (request.body === undefined) request.body = {}
}
