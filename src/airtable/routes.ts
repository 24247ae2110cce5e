import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { reply } from '../http/openapi.js'
import { IdParams, page, problemResponses } from '../http/schemas.js'
import { listSyncFailures, toSyncFailure } from './repository.js'
import { SyncFailureListQuery, SyncFailurePage, SyncRetryResult } from './schemas.js'
import { retrySyncFailure } from './service.js'

const security = [{ clientKey: [] }]

const syncRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/sync/failures', {
    schema: {
      tags: ['sync'], security, operationId: 'listSyncFailures', summary: 'List failed Airtable sync batches',
      description: 'Airtable sync batches that used every attempt, kept until retried or synced later; optionally of one campaign.',
      querystring: SyncFailureListQuery, response: { 200: reply('A page of failed sync batches', SyncFailurePage), ...problemResponses(400, 401) }
    }
  }, async request => {
    const rows = await listSyncFailures(app.ctx.db, request.clientId, request.query)
    return page(rows, request.query.limit, toSyncFailure, row => row.id)
  })

  app.post('/sync/failures/:id/retry', {
    schema: {
      tags: ['sync'], security, operationId: 'retrySyncFailure', summary: 'Retry a failed Airtable sync batch',
      description: 'Queues the batch again with fresh attempts; it leaves the failures list. Takes no body.',
      params: IdParams,
      response: { 202: reply('The batch is queued again', SyncRetryResult), ...problemResponses(400, 401, { 404: 'No failed batch with this id for this client', 503: 'Airtable sync is not configured (`not-configured`), or the database is unreachable' }) }
    }
  }, async (request, reply) => await reply.code(202).send(await retrySyncFailure(app.ctx, request.clientId, request.params.id)))
}

export default syncRoutes
