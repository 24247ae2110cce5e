import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { sendProblem } from '../http/error-handler.js'
import { HttpProblem, notFound } from '../http/problem.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** For a request no route serves: 405 with Allow if other methods serve its path, else 404. */
    missingRoute: (request: FastifyRequest) => HttpProblem
    /**
     * A 405 if a fixed path (no parameters) is served with other methods only: GET /v1/leads/bulk
     * matches GET /v1/leads/:id (and fails its uuid check), but the caller meant POST /v1/leads/bulk.
     */
    wrongMethodOnFixedPath: (request: FastifyRequest) => HttpProblem | undefined
  }
}

interface RoutePattern { methods: string[], pattern: RegExp, fixed: boolean }

function patternOf (url: string): RegExp {
  const source = url.split('/').map(part => part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')
  return new RegExp(`^${source}$`)
}

function pathOf (request: FastifyRequest): string {
  return request.url.split('?')[0] ?? ''
}

function methodNotAllowed (method: string, path: string, allowed: string[]): HttpProblem {
  return new HttpProblem(405, 'Method Not Allowed', `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, { headers: { allow: allowed.join(', ') } })
}

/** Tells 405 (the path is served, with other methods) from 404, from the routes registered after it. */
async function methodNotAllowedPlugin (app: FastifyInstance): Promise<void> {
  const routes: RoutePattern[] = []
  app.addHook('onRoute', route => {
    routes.push({ methods: ([] as string[]).concat(route.method), pattern: patternOf(route.url), fixed: !/[:*]/.test(route.url) })
  })
  const methodsOf = (path: string, fixedOnly: boolean): string[] => {
    const matching = routes.filter(route => route.pattern.test(path))
    // A path a fixed route names (/v1/leads/bulk) is that route's, not a value of /v1/leads/:id.
    const fixed = matching.filter(route => route.fixed)
    const chosen = fixed.length > 0 || fixedOnly ? fixed : matching
    return [...new Set(chosen.flatMap(route => route.methods))].sort()
  }
  app.decorate('missingRoute', (request: FastifyRequest) => {
    const path = pathOf(request)
    const allowed = methodsOf(path, false)
    return allowed.length > 0 ? methodNotAllowed(request.method, path, allowed) : notFound(`${request.method} ${path}`)
  })
  app.decorate('wrongMethodOnFixedPath', (request: FastifyRequest) => {
    const path = pathOf(request)
    const allowed = methodsOf(path, true)
    return allowed.length > 0 && !allowed.includes(request.method) ? methodNotAllowed(request.method, path, allowed) : undefined
  })
  app.setNotFoundHandler((request, reply) => sendProblem(reply, app.missingRoute(request)))
}

export default fp(methodNotAllowedPlugin, { name: 'method-not-allowed' })
