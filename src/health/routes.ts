import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { withDeadline } from '../deadline.js'
import { HttpProblem } from '../http/problem.js'
import { component, reply } from '../http/openapi.js'
import { problemResponses } from '../http/schemas.js'

const READY_DEADLINE_MS = 1500

const Status = component('HealthStatus', Type.Object({ status: Type.String({ description: '`ok` (healthz) or `ready` (readyz)' }) }, { examples: [{ status: 'ok' }] }))

const healthRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/healthz', {
    schema: { tags: ['operations'], security: [], operationId: 'getHealth', summary: 'Liveness', description: 'The process is up (no dependency is checked).', response: { 200: reply('The process is up', Status) } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: {
      tags: ['operations'], security: [], operationId: 'getReadiness', summary: 'Readiness', description: 'The database is reachable; 503 (`not-ready`) when it is not.',
      response: { 200: reply('The database is reachable', Status), ...problemResponses({ 503: 'The database is unreachable (`not-ready`); retry after Retry-After' }) }
    }
  }, async request => {
    try {
      // A stalled database (connections open, nothing answered) must still get a prompt 503: a
      // probe past its own timeout counts as a failure but tells the operator nothing.
      await withDeadline(sql`select 1`.execute(app.ctx.db), READY_DEADLINE_MS, () => new Error(`the database did not answer within ${READY_DEADLINE_MS} ms`))
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, 'readiness check failed')
      throw new HttpProblem(503, 'Service Unavailable', 'the database is unreachable', { type: 'not-ready', headers: { 'retry-after': '5' } })
    }
    return { status: 'ready' }
  })
}

export default healthRoutes
