// RFC 9457 problem details. Every error the API returns is one of these; routes throw them
// and sendProblem (src/http/error-handler.ts) is the only place that writes them.
// Their `type` is one of src/http/problem-types.ts.
import { PROBLEM_TYPE_BASE, defaultProblemType, type ProblemType } from './problem-types.js'

export interface FieldError {
  path: string
  message: string
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  errors?: FieldError[]
  [extension: string]: unknown
}

export class HttpProblem extends Error {
  readonly status: number
  readonly title: string
  readonly type: string
  readonly errors?: FieldError[]
  readonly headers: Record<string, string>
  readonly extensions: Record<string, unknown>

  constructor (status: number, title: string, detail: string, options: { type?: ProblemType, errors?: FieldError[], headers?: Record<string, string>, extensions?: Record<string, unknown> } = {}) {
    super(detail)
    this.name = 'HttpProblem'
    this.status = status
    this.title = title
    this.type = PROBLEM_TYPE_BASE + (options.type ?? defaultProblemType(status))
    this.errors = options.errors
    this.headers = options.headers ?? {}
    this.extensions = options.extensions ?? {}
  }

  toBody (): ProblemBody {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.errors !== undefined ? { errors: this.errors } : {})
    }
  }
}

export const badRequest = (detail: string, errors?: FieldError[]): HttpProblem =>
  new HttpProblem(400, 'Bad Request', detail, { type: errors !== undefined ? 'validation-error' : 'bad-request', errors })

// 5,000 bad leads would otherwise answer with 5,000 errors (and a detail of 300 KB): the first
// ones say what is wrong; `errorCount` says how many there were.
const MAX_LISTED_ERRORS = 100
const MAX_ERRORS_IN_DETAIL = 10

/** A 400 naming each bad field (`leads/3/email must match format "email"`), bounded in size. */
export function validationFailed (errors: FieldError[]): HttpProblem {
  const named = errors.slice(0, MAX_ERRORS_IN_DETAIL).map(e => `${e.path} ${e.message}`).join('; ')
  const detail = errors.length > MAX_ERRORS_IN_DETAIL ? `${named}; and ${errors.length - MAX_ERRORS_IN_DETAIL} more` : named
  const listed = errors.slice(0, MAX_LISTED_ERRORS)
  return new HttpProblem(400, 'Bad Request', detail, {
    type: 'validation-error',
    errors: listed,
    ...(listed.length < errors.length ? { extensions: { errorCount: errors.length } } : {})
  })
}

export const unauthorized = (detail = 'a valid bearer token is required'): HttpProblem =>
  new HttpProblem(401, 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } })

export const notFound = (what: string): HttpProblem => new HttpProblem(404, 'Not Found', `${what} not found`)

export const conflict = (detail: string, type: ProblemType = 'conflict'): HttpProblem => new HttpProblem(409, 'Conflict', detail, { type })

export const unprocessable = (detail: string, type: ProblemType = 'unprocessable'): HttpProblem => new HttpProblem(422, 'Unprocessable Content', detail, { type })

export const serviceUnavailable = (detail: string, type: ProblemType = 'not-configured'): HttpProblem => new HttpProblem(503, 'Service Unavailable', detail, { type })

/** A 429; `retryAfterSeconds` becomes the Retry-After header. */
export const tooManyRequests = (detail: string, retryAfterSeconds: number, options: { type?: ProblemType, extensions?: Record<string, unknown> } = {}): HttpProblem =>
  new HttpProblem(429, 'Too Many Requests', detail, { type: options.type ?? 'rate-limited', headers: { 'retry-after': String(retryAfterSeconds) }, extensions: options.extensions })

/** A 502: the upstream service failed; the detail says how, never with its internals. */
export const badGateway = (detail: string, type: ProblemType = 'upstream-failed', extensions?: Record<string, unknown>): HttpProblem =>
  new HttpProblem(502, 'Bad Gateway', detail, { type, extensions })
