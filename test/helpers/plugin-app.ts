import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'
import { sendProblem, toProblem } from '../../src/http/error-handler.js'

/**
 * A bare Fastify instance for one plugin's test, closed when the test ends. Errors are answered as
 * problem+json (the mapping, not the problem-errors plugin) unless `problems: false`.
 */
export function pluginApp (t: Test, options: FastifyServerOptions & { problems?: false } = {}): FastifyInstance {
  const { problems, ...fastifyOptions } = options
  const app = Fastify(fastifyOptions)
  if (problems !== false) app.setErrorHandler((error: Error, _request, reply) => sendProblem(reply, toProblem(error)))
  t.teardown(async () => { await app.close() })
  return app
}
