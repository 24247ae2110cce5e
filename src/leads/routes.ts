import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../http/problem.js'
import { ref, reply } from '../http/openapi.js'
import { IDEMPOTENCY_PROBLEMS, IdParams, IdempotencyHeaders, page, problemResponses } from '../http/schemas.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { findLead, listLeads, toLead } from './repository.js'
import { BulkLeadsBody, BulkLeadsResult, Lead, LeadListQuery, LeadPage, LeadPatch } from './schemas.js'
import { importLeads, patchLead } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['leads']
const NO_LEAD = { 404: 'No lead with this id for this client' }

const leadRoutes: FastifyPluginAsyncTypebox = async app => {
  app.post('/leads/bulk', {
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags, security, operationId: 'importLeads', summary: 'Create or update up to 5000 leads by externalId',
      description: 'Upserts by `externalId` within the client, all or nothing: one invalid item answers 400 naming `leads/<index>/<field>` and nothing is written. Accepts an Idempotency-Key.',
      headers: IdempotencyHeaders, body: ref(BulkLeadsBody),
      response: {
        200: reply('How many leads were created, updated and left unchanged', BulkLeadsResult, { headers: ['Idempotent-Replayed'] }),
        ...problemResponses(400, 401, IDEMPOTENCY_PROBLEMS, { 413: 'Body larger than 16 MiB' })
      }
    }
  }, async (request, reply) => {
    const result = await runIdempotent(app.ctx.db, {
      clientId: request.clientId, scope: 'POST /v1/leads/bulk', key: request.headers['idempotency-key'], body: request.body
    }, async () => ({ status: 200, body: await importLeads(app.ctx, request.clientId, request.body.leads) }))
    if (result.replayed) void reply.header('idempotent-replayed', 'true')
    return await reply.code(result.status).send(result.body)
  })

  app.get('/leads', {
    schema: {
      tags, security, operationId: 'listLeads', summary: 'List leads',
      description: 'A page of the client\'s leads, optionally only those carrying a tag; follow `nextCursor` for the next page.',
      querystring: LeadListQuery, response: { 200: reply('A page of leads', LeadPage), ...problemResponses(400, 401) }
    }
  }, async request => {
    const rows = await listLeads(app.ctx.db, request.clientId, request.query)
    return page(rows, request.query.limit, toLead, row => row.id)
  })

  app.get('/leads/:id', {
    schema: {
      tags, security, operationId: 'getLead', summary: 'Get a lead', description: 'One lead of the client.',
      params: IdParams, response: { 200: reply('The lead', Lead), ...problemResponses(400, 401, NO_LEAD) }
    }
  }, async request => {
    const row = await findLead(app.ctx.db, request.clientId, request.params.id)
    if (row === undefined) throw notFound('lead')
    return toLead(row)
  })

  app.patch('/leads/:id', {
    schema: {
      tags, security, operationId: 'updateLead', summary: 'Update a lead',
      description: 'Changes the fields given and keeps the others. Opting a lead out stops its active enrollments at once.',
      params: IdParams, body: ref(LeadPatch), response: { 200: reply('The lead as changed', Lead), ...problemResponses(400, 401, NO_LEAD) }
    }
  }, async request => toLead(await patchLead(app.ctx, request.clientId, request.params.id, request.body)))
}

export default leadRoutes
