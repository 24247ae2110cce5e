import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, listOf, page, problemResponses } from '../http/schemas.js'
import { listSyncFailures, toSyncFailure } from './repository.js'
import { SyncFailure, SyncFailureListQuery, SyncRetryResult } from './schemas.js'
import { retrySyncFailure } from './service.js'

const security = [{ clientKey: [] }]

const syncRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/sync/failures', {
    schema: {
      tags: ['sync'], security, summary: 'Airtable sync batches that used every attempt (kept until retried or synced later)',
      querystring: SyncFailureListQuery, response: { 200: listOf(SyncFailure), ...problemResponses(400, 401) }
    }
  }, async request => {
    const rows = await listSyncFailures(app.ctx.db, request.clientId, request.query)
    return page(rows, request.query.limit, toSyncFailure, row => row.id)
  })

  app.post('/sync/failures/:id/retry', {
    schema: {
      tags: ['sync'], security, summary: 'Queue a failed batch again with fresh attempts; it leaves the failures list',
      params: IdParams, response: { 202: SyncRetryResult, ...problemResponses(400, 401, 404, 503) }
    }
  }, async (request, reply) => await reply.code(202).send(await retrySyncFailure(app.ctx, request.clientId, request.params.id)))
}

export default syncRoutes
