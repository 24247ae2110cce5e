import { randomUUID } from 'node:crypto'
import sensible from '@fastify/sensible'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import activationRoutes from './activation/routes.js'
import adminRoutes from './admin/routes.js'
import { authenticateClient } from './auth/hooks.js'
import type { AppContext } from './context.js'
import healthRoutes from './health/routes.js'
import { installErrorHandlers } from './http/error-handler.js'
import { validatorCompiler } from './http/validation.js'
import leadRoutes from './leads/routes.js'
import messageRoutes from './messages/routes.js'
import campaignRoutes from './campaigns/routes.js'
import metricsRoutes from './operations/metrics-routes.js'
import contextPlugin from './plugins/context.js'
import httpMetrics from './plugins/http-metrics.js'
import swagger from './plugins/swagger.js'
import { mergeOpenApi } from './plugins/openapi-document.js'

export interface Apps {
  /** Public API on PORT: /v1, health, docs. */
  api: FastifyInstance
  /** Internal listener on INTERNAL_PORT: /internal/*, /metrics. */
  internal: FastifyInstance
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

function baseApp (ctx: AppContext, listener: 'public' | 'internal') {
  const app = Fastify({
    loggerInstance: ctx.logger.child({ listener }) as FastifyBaseLogger,
    genReqId: request => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle'
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // An empty body sent as application/json (common for POST .../enroll and .../cancel) is no body,
  // not malformed JSON; anything else goes through Fastify's parser (prototype-poisoning safe).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) { done(null, undefined); return }
    parseJson(request, body as string, done)
  })
  app.addHook('onRequest', async (request, reply) => { void reply.header('x-request-id', request.id) })
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
  await api.register(sensible)
  await api.register(contextPlugin, { ctx })
  await api.register(httpMetrics, { listener: 'public' })
  await api.register(swagger)
  await api.register(healthRoutes)
  await api.register(adminRoutes, { prefix: '/v1/admin' })
  await api.register(async v1 => {
    v1.addHook('onRequest', authenticateClient)
    await v1.register(leadRoutes)
    await v1.register(campaignRoutes)
    await v1.register(messageRoutes)
  }, { prefix: '/v1' })

  const document = () => serviceDocument({ api, internal })
  api.get('/openapi.json', { schema: { hide: true } }, async () => document())
  await api.register(swaggerUi, { routePrefix: '/docs', transformSpecification: () => document() })

  await Promise.all([api.ready(), internal.ready()])
  return { api, internal }
}
