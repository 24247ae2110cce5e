import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
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
  }, async () => await runActivationTick(app.ctx, metrics))
}

export default activationRoutes
