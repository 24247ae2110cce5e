import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../http/problem.js'
import { IdParams, IdempotencyHeaders, listOf, page, problemResponses } from '../http/schemas.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { findLead, listLeads, toLead } from './repository.js'
import { BulkLeadsBody, BulkLeadsResult, Lead, LeadListQuery, LeadPatch } from './schemas.js'
import { importLeads, patchLead } from './service.js'

const security = [{ clientKey: [] }]

const leadRoutes: FastifyPluginAsyncTypebox = async app => {
  app.post('/leads/bulk', {
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['leads'], security, summary: 'Create or update up to 5000 leads by externalId (all or nothing)',
      headers: IdempotencyHeaders, body: BulkLeadsBody,
      response: { 200: BulkLeadsResult, ...problemResponses(400, 401, 409, 413, 422) }
    }
  }, async (request, reply) => {
    const result = await runIdempotent(app.ctx.db, {
      clientId: request.clientId, scope: 'POST /v1/leads/bulk', key: request.headers['idempotency-key'], body: request.body
    }, async () => ({ status: 200, body: await importLeads(app.ctx, request.clientId, request.body.leads) }))
    if (result.replayed) void reply.header('idempotent-replayed', 'true')
    return await reply.code(result.status).send(result.body)
  })

  app.get('/leads', {
    schema: { tags: ['leads'], security, summary: 'List leads', querystring: LeadListQuery, response: { 200: listOf(Lead), ...problemResponses(400, 401) } }
  }, async request => {
    const rows = await listLeads(app.ctx.db, request.clientId, request.query)
    return page(rows, request.query.limit, toLead, row => row.id)
  })

  app.get('/leads/:id', {
    schema: { tags: ['leads'], security, summary: 'Get a lead', params: IdParams, response: { 200: Lead, ...problemResponses(400, 401, 404) } }
  }, async request => {
    const row = await findLead(app.ctx.db, request.clientId, request.params.id)
    if (row === undefined) throw notFound('lead')
    return toLead(row)
  })

  app.patch('/leads/:id', {
    schema: {
      tags: ['leads'], security, summary: 'Update a lead; opting out stops its active enrollments at once',
      params: IdParams, body: LeadPatch, response: { 200: Lead, ...problemResponses(400, 401, 404) }
    }
  }, async request => toLead(await patchLead(app.ctx, request.clientId, request.params.id, request.body)))
}

export default leadRoutes
