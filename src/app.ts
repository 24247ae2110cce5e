import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import activationRoutes from './activation/routes.js'
import adminRoutes from './admin/routes.js'
import { authenticateClient } from './auth/hooks.js'
import type { AppContext } from './context.js'
import healthRoutes from './health/routes.js'
import { serverOptions } from './http/server-options.js'
import { validatorCompiler } from './http/validation.js'
import leadRoutes from './leads/routes.js'
import inboundRoutes from './inbound/routes.js'
import messageRoutes from './messages/routes.js'
import campaignRoutes from './campaigns/routes.js'
import deliveryRoutes from './delivery/routes.js'
import syncRoutes from './airtable/routes.js'
import metricsRoutes from './operations/metrics-routes.js'
import bodyEncoding from './plugins/body-encoding.js'
import closeOnShutdown from './plugins/close-on-shutdown.js'
import contextPlugin from './plugins/context.js'
import docs from './plugins/docs.js'
import httpMetrics from './plugins/http-metrics.js'
import inputGuard from './plugins/input-guard.js'
import jobs from './plugins/jobs.js'
import jsonBody from './plugins/json-body.js'
import methodNotAllowed from './plugins/method-not-allowed.js'
import { mergeOpenApi } from './plugins/openapi-document.js'
import problemErrors from './plugins/problem-errors.js'
import requestId from './plugins/request-id.js'
import responseHeaders from './plugins/response-headers.js'
import swagger from './plugins/swagger.js'

export interface Apps {
  /** Public API on PORT: /v1, health, docs. */
  api: FastifyInstance
  /** Internal listener on INTERNAL_PORT: /internal/*, /metrics. */
  internal: FastifyInstance
}

// One instance per listener; the plugins below are registered in the order their hooks run.
async function listenerApp (ctx: AppContext, listener: 'public' | 'internal') {
  const app = Fastify({
    ...serverOptions,
    // The cast pins the instance's logger type parameter to FastifyBaseLogger, which plugins expect.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: ctx.logger.child({ listener }) as FastifyBaseLogger
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  await app.register(requestId)
  await app.register(responseHeaders, { noStorePrefix: '/v1/' })
  await app.register(bodyEncoding)
  await app.register(jsonBody)
  await app.register(inputGuard)
  await app.register(closeOnShutdown, { stopping: ctx.stopping })
  await app.register(methodNotAllowed)
  await app.register(problemErrors)
  await app.register(contextPlugin, { ctx })
  await app.register(httpMetrics, { listener })
  await app.register(swagger)
  return app
}

/** One OpenAPI document for the whole service: the public routes plus the internal ones (tagged). */
export function serviceDocument (apps: Apps): Record<string, unknown> {
  return mergeOpenApi(apps.api.swagger(), apps.internal.swagger())
}

/** Builds both listeners on one shared context. Nothing listens until the caller says so. */
export async function buildApps (ctx: AppContext): Promise<Apps> {
  const internal = await listenerApp(ctx, 'internal')
  await internal.register(metricsRoutes)
  await internal.register(activationRoutes)

  const api = await listenerApp(ctx, 'public')
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

  await api.register(docs, { document: () => serviceDocument({ api, internal }) })

  await Promise.all([api.ready(), internal.ready()])
  return { api, internal }
}
