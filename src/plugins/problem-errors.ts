import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { isDatabaseUnreachable } from '../db/database.js'
import { sendProblem, toProblem } from '../http/error-handler.js'
import { HttpProblem } from '../http/problem.js'

/** Every error, ours or Fastify's, answered as problem+json (toProblem) and logged at its level. */
async function problemErrors (app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem = toProblem(error)
    // A body refused (malformed, too large, another media type) on a path no route serves: the
    // missing route is the answer.
    if (request.is404 && problem.status < 500) problem = app.missingRoute(request)
    if (error.validationContext === 'params') problem = app.wrongMethodOnFixedPath(request) ?? problem
    // An unexpected error is logged with its stack; a 5xx the service answers on purpose (not
    // configured, upstream failed, the database away) is an expected state and is logged without one.
    const expected = error instanceof HttpProblem || isDatabaseUnreachable(error)
    if (!expected && problem.status >= 500) request.log.error({ err: error }, 'request failed')
    else if (problem.status >= 500) request.log.warn({ status: problem.status, type: problem.type, detail: problem.message, ...(error instanceof HttpProblem ? {} : { cause: error.message }) }, 'request failed')
    else request.log.info({ status: problem.status, detail: problem.message }, 'request rejected')
    return sendProblem(reply, problem)
  })
}

export default fp(problemErrors, { name: 'problem-errors', dependencies: ['method-not-allowed'] })
