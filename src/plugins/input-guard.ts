import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { validationFailed } from '../http/problem.js'
import { unexpectedBodyErrors, unsafeTextErrors } from '../http/validation.js'

/**
 * Input the schemas cannot refuse is a 400 naming the field before a handler runs: text the
 * database cannot hold, nesting too deep, and a body sent to a route that takes none.
 */
async function inputGuard (app: FastifyInstance): Promise<void> {
  app.addHook('preValidation', async request => {
    // No route: the not-found handler answers 404 (or 405) whatever the request carries.
    if (request.is404) return
    const errors = [...unsafeTextErrors(request.params), ...unsafeTextErrors(request.query), ...unsafeTextErrors(request.body)]
    // A route without a body schema takes no body: an empty one or {} is fine, fields are typos.
    if (request.routeOptions.schema?.body === undefined) errors.push(...unexpectedBodyErrors(request.body))
    if (errors.length > 0) throw validationFailed(errors)
  })
}

export default fp(inputGuard, { name: 'input-guard' })
