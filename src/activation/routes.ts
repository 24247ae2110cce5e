import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireSecret } from '../auth/hooks.js'
import { EnrollmentWarning } from '../campaigns/schemas.js'
import { Uuid, problemResponses } from '../http/schemas.js'
import { createActivationMetrics } from './metrics.js'
import { runActivationTick } from './tick.js'

const Enrolled = Type.Object({ campaignId: Uuid, enrolled: Type.Integer(), totalMatching: Type.Integer(), warning: Type.Optional(EnrollmentWarning) })
const TickResult = Type.Object({
  activated: Type.Array(Enrolled),
  expired: Type.Array(Uuid),
  skipped: Type.Array(Uuid, { description: 'being activated by another caller right now' }),
  failed: Type.Array(Type.Object({ campaignId: Uuid, error: Type.String() })),
  remaining: Type.Integer({ description: 'scheduled campaigns still due after this call; call again while > 0' }),
  continued: Type.Array(Enrolled, { description: 'active campaigns whose time-budget stop was continued' }),
  completed: Type.Array(Uuid, { description: 'campaigns completed by this call' }),
  enrollmentsCompleted: Type.Integer()
})

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
