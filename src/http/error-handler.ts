import type { FastifyError, FastifyReply } from 'fastify'
import { HttpProblem, validationFailed } from './problem.js'
import { isDatabaseUnreachable } from '../db/database.js'
import { fieldErrors } from './validation.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

export function sendProblem (reply: FastifyReply, problem: HttpProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value)
  return reply.code(problem.status).type(PROBLEM).send(problem.toBody())
}

/** Maps every error, ours or Fastify's, to problem+json; 5xx bodies never carry internals. */
export function toProblem (error: FastifyError | HttpProblem | Error): HttpProblem {
  if (error instanceof HttpProblem) return error
  const fastifyError = error as FastifyError
  if (Array.isArray(fastifyError.validation)) {
    const errors = fieldErrors(fastifyError.validation, fastifyError.validationContext)
    return validationFailed(errors)
  }
  const status = fastifyError.statusCode ?? 500
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, 'Bad Request', 'the request body is not valid JSON', { type: 'malformed-json' })
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'Content Too Large', 'the request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(415, 'Unsupported Media Type', 'send the body as application/json')
  }
  if (error instanceof SyntaxError && status === 400) {
    return new HttpProblem(400, 'Bad Request', 'the request body is not valid JSON', { type: 'malformed-json' })
  }
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx messages (bad header, bad content length...) carry no internals.
    return new HttpProblem(status, statusTitle(status), fastifyError.message)
  }
  if (isDatabaseUnreachable(error)) {
    return new HttpProblem(503, 'Service Unavailable', 'the database is unavailable; try again shortly', { type: 'database-unavailable', headers: { 'retry-after': '5' } })
  }
  if (status === 503) return new HttpProblem(503, 'Service Unavailable', 'a dependency is unavailable, try again later')
  return new HttpProblem(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged')
}

function statusTitle (status: number): string {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests' }
  return titles[status] ?? 'Client Error'
}
