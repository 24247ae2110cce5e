import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Logger } from 'pino'
import { requireSecret } from '../auth/hooks.js'
import { problemResponses } from '../http/schemas.js'
import { createActivationMetrics } from './metrics.js'
import { TickResult } from './schemas.js'
import { runActivationTick } from './tick.js'

/** Internal listener only: called every minute by the Kubernetes CronJob (token CRON_SECRET). */
const activationRoutes: FastifyPluginAsyncTypebox = async app => {
  const metrics = createActivationMetrics(app.ctx.metrics)
  app.post('/internal/campaigns/activate-scheduled', {
    onRequest: requireSecret(() => app.ctx.config.CRON_SECRET, 'CRON_SECRET'),
    schema: {
      tags: ['internal'], security: [{ cronSecret: [] }],
      summary: 'Activate due scheduled campaigns, continue time-budget stops, complete finished enrollments',
      response: { 200: TickResult, ...problemResponses(401, 503) }
    }
  }, async request => {
    try {
      // The request's logger: the tick's lines carry its reqId (it is the pino logger app.ts built).
      const result = await runActivationTick({ ...app.ctx, logger: request.log as Logger }, metrics)
      metrics.ticks.inc({ outcome: 'success' })
      metrics.lastSuccess.setToCurrentTime()
      return result
    } catch (error) {
      metrics.ticks.inc({ outcome: 'failure' })
      throw error
    }
  })
}

export default activationRoutes
