// Every problem `type` the service answers with, one line each. The document lists them as the
// enum of Problem.type, docs/problems.md explains them (a test keeps both in step), and HttpProblem
// takes only these names: a new type is added here first.

export const PROBLEM_TYPE_BASE = 'urn:campaign-service:problem:'

export const PROBLEM_TYPES = {
  'bad-request': 'The request is not valid HTTP or its URL is malformed',
  'validation-error': 'A field is invalid: `errors` names each one (`errorCount` when more than 100)',
  'malformed-json': 'The body is not valid JSON or not UTF-8',
  'forbidden-json-key': 'The body uses __proto__ or constructor.prototype as a key',
  unauthorized: 'The bearer token is missing, unknown or revoked',
  'not-found': 'No such resource for this client (another client\'s id is not found either), or no such route',
  'method-not-allowed': 'The path exists but not with this method; `Allow` lists the methods',
  'not-acceptable': 'The Accept header asks for a type the service does not produce',
  'request-timeout': 'The request took too long to arrive',
  conflict: 'The request conflicts with the resource\'s state',
  'idempotency-key-in-use': 'A request with this Idempotency-Key is still running: retry after Retry-After',
  'campaign-busy': 'Another request is enrolling this campaign right now: retry after Retry-After',
  'campaign-not-scheduled': 'Only a scheduled campaign can be changed',
  'campaign-not-active': 'Only an active campaign can enroll more leads',
  'campaign-ended': 'The campaign has ended (completed, expired or cancelled)',
  'delivery-result-conflict': 'A different outcome was reported for a delivery that is already final',
  'content-too-large': 'The body is larger than the route accepts',
  'uri-too-long': 'A path segment is longer than 100 characters',
  'unsupported-media-type': 'The body is not sent as UTF-8 application/json',
  'unsupported-content-encoding': 'The body is compressed (Content-Encoding); send it uncompressed',
  'request-header-fields-too-large': 'The request headers are too large',
  unprocessable: 'The request is well-formed but cannot be processed',
  'idempotency-key-reused': 'This Idempotency-Key was used with a different body',
  'content-filtered': 'Azure OpenAI\'s content filter refused the prompt: rephrase it',
  'client-error': 'Another client error, as its status says',
  'rate-limited': 'Too many requests: wait for Retry-After (RateLimit-* tell the pace)',
  'token-budget-exhausted': 'The client\'s daily AI token budget is used up until UTC midnight',
  'internal-server-error': 'An unexpected error: it is logged with the request id, the body carries no internals',
  'upstream-failed': 'A service this one depends on failed',
  'generation-failed': 'No Azure OpenAI deployment produced a message (`attempts` says why each failed)',
  'service-unavailable': 'A dependency is unavailable: try again later',
  'not-configured': 'The feature or endpoint is not configured on this deployment (its variable is named)',
  'secrets-key-missing': 'SECRETS_KEY is not set, so credentials cannot be stored encrypted',
  'shutting-down': 'The service is shutting down: retry the request (another replica answers)',
  'database-unavailable': 'The database is unreachable: retry after Retry-After',
  'not-ready': 'Readiness: the database is unreachable'
} as const

export type ProblemType = keyof typeof PROBLEM_TYPES

/** The type a problem gets when it names none: the status's generic one. */
export function defaultProblemType (status: number): ProblemType {
  const byStatus: Record<number, ProblemType> = {
    400: 'bad-request', 401: 'unauthorized', 404: 'not-found', 405: 'method-not-allowed', 406: 'not-acceptable',
    408: 'request-timeout', 409: 'conflict', 413: 'content-too-large', 414: 'uri-too-long', 415: 'unsupported-media-type',
    422: 'unprocessable', 429: 'rate-limited', 431: 'request-header-fields-too-large', 500: 'internal-server-error',
    502: 'upstream-failed', 503: 'service-unavailable'
  }
  return byStatus[status] ?? (status >= 500 ? 'internal-server-error' : 'client-error')
}

export const problemTypeUris = (): string[] => Object.keys(PROBLEM_TYPES).map(name => PROBLEM_TYPE_BASE + name)
