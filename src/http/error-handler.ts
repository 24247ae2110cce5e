import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpProblem, notFound, validationFailed } from './problem.js'
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

/**
 * The route patterns of an app as regular expressions, to tell 405 (other methods) from 404.
 * `fixedOnly` keeps routes without parameters: GET /v1/leads/bulk matches GET /v1/leads/:id
 * (and fails its uuid check), but the caller meant POST /v1/leads/bulk.
 */
function routeMethods (app: FastifyInstance): (path: string, fixedOnly?: boolean) => string[] {
  const routes: Array<{ methods: string[], pattern: RegExp, fixed: boolean }> = []
  app.addHook('onRoute', route => {
    const source = route.url.split('/').map(part => part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')
    routes.push({ methods: ([] as string[]).concat(route.method), pattern: new RegExp(`^${source}$`), fixed: !/[:*]/.test(route.url) })
  })
  return (path, fixedOnly = false) => {
    const matching = routes.filter(route => route.pattern.test(path))
    // A path a fixed route names (/v1/leads/bulk) is that route's, not a value of /v1/leads/:id.
    const fixed = matching.filter(route => route.fixed)
    const chosen = fixed.length > 0 || fixedOnly ? fixed : matching
    return [...new Set(chosen.flatMap(route => route.methods))].sort()
  }
}

function methodNotAllowed (method: string, path: string, allowed: string[]): HttpProblem {
  return new HttpProblem(405, 'Method Not Allowed', `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, { headers: { allow: allowed.join(', ') } })
}

export function installErrorHandlers (app: FastifyInstance): void {
  const methodsOf = routeMethods(app)
  const notFoundOrNotAllowed = (request: FastifyRequest): HttpProblem => {
    const path = request.url.split('?')[0] ?? ''
    const allowed = methodsOf(path)
    return allowed.length > 0 ? methodNotAllowed(request.method, path, allowed) : notFound(`${request.method} ${path}`)
  }
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let problem = toProblem(error)
    // A body refused (malformed, too large, another media type) on a path no route serves: the
    // missing route is the answer.
    if (request.is404 && problem.status < 500) problem = notFoundOrNotAllowed(request)
    if (error.validationContext === 'params') {
      const path = request.url.split('?')[0] ?? ''
      const allowed = methodsOf(path, true)
      if (allowed.length > 0 && !allowed.includes(request.method)) problem = methodNotAllowed(request.method, path, allowed)
    }
    // An unexpected error is logged with its stack; a 5xx the service answers on purpose (not
    // configured, upstream failed, the database away) is an expected state and is logged without one.
    const expected = error instanceof HttpProblem || isDatabaseUnreachable(error)
    if (!expected && problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else if (problem.status >= 500) request.log.warn({ status: problem.status, type: problem.type, detail: problem.message, ...(error instanceof HttpProblem ? {} : { cause: error.message }) }, 'request failed')
    else request.log.info({ status: problem.status, detail: problem.message }, 'request rejected')
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) => sendProblem(reply, notFoundOrNotAllowed(request)))
}
