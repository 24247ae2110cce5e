import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Logger } from 'pino'
import { requireSecret } from '../auth/hooks.js'
import { reply } from '../http/openapi.js'
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
      tags: ['internal'], security: [{ cronSecret: [] }], operationId: 'activateScheduledCampaigns', summary: 'Run the activation tick',
      description: 'Activates due scheduled campaigns (oldest first, a batch per call), expires those due over 30 days ago, continues time-budget stops, skips stale deliveries and completes finished enrollments and campaigns. Called every minute by the CronJob; takes no body.',
      response: { 200: reply('What this tick did; call again while `remaining` > 0', TickResult), ...problemResponses({ 400: 'A body was sent: this endpoint takes none' }, 401, { 503: 'CRON_SECRET is not configured (`not-configured`), or the database is unreachable' }) }
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
