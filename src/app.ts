import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import activationRoutes from './activation/routes.js'
import adminRoutes from './admin/routes.js'
import { authenticateClient } from './auth/hooks.js'
import type { AppContext } from './context.js'
import healthRoutes from './health/routes.js'
import { installErrorHandlers, sendProblem } from './http/error-handler.js'
import { HttpProblem, validationFailed } from './http/problem.js'
import { unexpectedBodyErrors, unsafeTextErrors, validatorCompiler } from './http/validation.js'
import leadRoutes from './leads/routes.js'
import inboundRoutes from './inbound/routes.js'
import messageRoutes from './messages/routes.js'
import campaignRoutes from './campaigns/routes.js'
import deliveryRoutes from './delivery/routes.js'
import syncRoutes from './airtable/routes.js'
import jobs from './plugins/jobs.js'
import metricsRoutes from './operations/metrics-routes.js'
import contextPlugin from './plugins/context.js'
import httpMetrics from './plugins/http-metrics.js'
import swagger from './plugins/swagger.js'
import { docsDocument, mergeOpenApi } from './plugins/openapi-document.js'

export interface Apps {
  /** Public API on PORT: /v1, health, docs. */
  api: FastifyInstance
  /** Internal listener on INTERNAL_PORT: /internal/*, /metrics. */
  internal: FastifyInstance
}

function parsesAsJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

function baseApp (ctx: AppContext, listener: 'public' | 'internal') {
  const app = Fastify({
    // The cast pins the instance's logger type parameter to FastifyBaseLogger, which plugins expect.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: ctx.logger.child({ listener }) as FastifyBaseLogger,
    genReqId: request => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    // Errors the router raises before any route runs, as problem+json like every other error.
    frameworkErrors: (error, _request, reply) => {
      const problem = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new HttpProblem(414, 'URI Too Long', 'a path segment is longer than 100 characters')
        : new HttpProblem(400, 'Bad Request', 'the URL is not valid (malformed percent-encoding?)')
      void sendProblem(reply, problem)
    },
    // Requests Node cannot even parse (a control character in a header, headers too large, a
    // timeout) are answered before Fastify sees them: as problem+json too.
    clientErrorHandler: (error, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      const [status, detail] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large'] : [400, 'the request is not valid HTTP']
      const body = JSON.stringify(new HttpProblem(status, STATUS_CODES[status] ?? 'Client Error', detail).toBody())
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
      }
      socket.destroy(error)
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle'
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // An empty body sent as application/json (common for POST .../enroll and .../cancel) is no body,
  // not malformed JSON; anything else goes through Fastify's parser (prototype-poisoning safe).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  // Only JSON bodies: text/plain would reach validation as a string ("body must be object").
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    // JSON is UTF-8 (RFC 8259): bytes that are not would otherwise be stored as U+FFFD, silently.
    let body: string
    try {
      body = STRICT_UTF8.decode(raw as Buffer)
    } catch {
      done(new HttpProblem(400, 'Bad Request', 'the request body is not valid UTF-8', { type: 'malformed-json' }), undefined)
      return
    }
    if (body.trim() === '') { done(null, undefined); return }
    void parseJson(request, body, (error, value) => {
      // Fastify refuses prototype-poisoning keys as "invalid JSON"; say what is really wrong.
      if (error !== null && parsesAsJson(body)) {
        done(new HttpProblem(400, 'Bad Request', 'the request body uses a forbidden key (__proto__ or constructor.prototype)', { type: 'forbidden-json-key' }), undefined)
      } else {
        done(error, value)
      }
    })
  })
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id)
    void reply.header('x-content-type-options', 'nosniff')
    // Answers under /v1 carry tenants' data and, from the admin API, new keys: no cache may keep
    // them (errors included).
    if (request.url.startsWith('/v1/')) void reply.header('cache-control', 'no-store')
    // JSON is UTF-8: a body declared in another charset is a media type we do not take.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new HttpProblem(415, 'Unsupported Media Type', `charset ${charset} is not supported; send UTF-8 JSON`)
    }
    // A compressed body would otherwise be parsed as broken JSON and called malformed.
    const encoding = request.headers['content-encoding']
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new HttpProblem(415, 'Unsupported Media Type', `Content-Encoding ${encoding} is not supported; send the body uncompressed`, { type: 'unsupported-content-encoding' })
    }
  })
  // Once shutdown began, every answer closes its connection: a keep-alive connection busy at
  // SIGTERM would otherwise keep close() waiting until it idles out (72 s).
  app.addHook('onSend', async (_request, reply) => { if (ctx.stopping.aborted) void reply.header('connection', 'close') })
  app.addHook('preValidation', async request => {
    // No route: the not-found handler answers 404 (or 405) whatever the request carries.
    if (request.is404) return
    const errors = [...unsafeTextErrors(request.params), ...unsafeTextErrors(request.query), ...unsafeTextErrors(request.body)]
    // A route without a body schema takes no body: an empty one or {} is fine, fields are typos.
    if (request.routeOptions.schema?.body === undefined) errors.push(...unexpectedBodyErrors(request.body))
    if (errors.length > 0) throw validationFailed(errors)
  })
  installErrorHandlers(app)
  return app
}

/** One OpenAPI document for the whole service: the public routes plus the internal ones (tagged). */
export function serviceDocument (apps: Apps): Record<string, unknown> {
  return mergeOpenApi(apps.api.swagger(), apps.internal.swagger())
}

/** Builds both listeners on one shared context. Nothing listens until the caller says so. */
export async function buildApps (ctx: AppContext): Promise<Apps> {
  const internal = baseApp(ctx, 'internal')
  await internal.register(contextPlugin, { ctx })
  await internal.register(httpMetrics, { listener: 'internal' })
  await internal.register(swagger)
  await internal.register(metricsRoutes)
  await internal.register(activationRoutes)

  const api = baseApp(ctx, 'public')
  await api.register(contextPlugin, { ctx })
  await api.register(httpMetrics, { listener: 'public' })
  await api.register(swagger)
  await api.register(healthRoutes)
  await api.register(async v1 => {
    await v1.register(adminRoutes, { prefix: '/admin' })
    // The client API in a scope of its own: the client-key check does not touch the admin API.
    await v1.register(async client => {
      client.addHook('onRequest', authenticateClient)
      await client.register(leadRoutes)
      await client.register(campaignRoutes)
      await client.register(inboundRoutes)
      await client.register(deliveryRoutes)
      await client.register(messageRoutes)
      await client.register(syncRoutes)
    })
  }, { prefix: '/v1' })
  await api.register(jobs)

  const document = () => serviceDocument({ api, internal })
  api.get('/openapi.json', { schema: { hide: true } }, async () => document())
  // /docs: the public operations only (the internal ones cannot be called from that page).
  await api.register(swaggerUi, { routePrefix: '/docs', transformSpecification: () => docsDocument(document()) })

  await Promise.all([api.ready(), internal.ready()])
  return { api, internal }
}
