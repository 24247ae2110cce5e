import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { enrollmentMetrics } from '../enrollment/metrics.js'
import { IdParams, IdempotencyHeaders, ListQuery, listOf, page, problemResponses } from '../http/schemas.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { listCampaigns, listEnrollments, toCampaign } from './repository.js'
import { Campaign, CampaignInput, CampaignListQuery, CampaignPatch, CreatedCampaign, EnrollResult, Enrollment, Preview } from './schemas.js'
import { cancelCampaign, createCampaign, enrollMore, patchCampaign, previewCampaign, requireCampaign, type CampaignServices } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['campaigns']

const campaignRoutes: FastifyPluginAsyncTypebox = async app => {
  const shared = { db: app.ctx.db, lockPool: app.ctx.lockPool, config: app.ctx.config, stopping: app.ctx.stopping, enrollmentMetrics: enrollmentMetrics(app.ctx) }
  // Each request logs through its own logger, so enrollment lines carry its reqId.
  const servicesFor = (request: FastifyRequest): CampaignServices => ({ ...shared, logger: request.log })

  app.post('/campaigns', {
    schema: {
      tags, security, summary: 'Create a campaign: enrolled now (active) or at startAt (scheduled)',
      headers: IdempotencyHeaders, body: CampaignInput,
      response: { 201: CreatedCampaign, ...problemResponses(400, 401, 409, 422) }
    }
  }, async (request, reply) => {
    const result = await runIdempotent(app.ctx.db, {
      clientId: request.clientId, scope: 'POST /v1/campaigns', key: request.headers['idempotency-key'], body: request.body
    }, async campaignId => ({ status: 201, body: await createCampaign(servicesFor(request), request.clientId, request.body, campaignId) }))
    if (result.replayed) void reply.header('idempotent-replayed', 'true')
    return await reply.code(result.status).send(result.body)
  })

  app.post('/campaigns/preview', {
    schema: { tags, security, summary: 'What creating this campaign now would enroll; writes nothing', body: CampaignInput, response: { 200: Preview, ...problemResponses(400, 401) } }
  }, async request => await previewCampaign(app.ctx.db, request.clientId, request.body))

  app.get('/campaigns', {
    schema: { tags, security, summary: 'List campaigns', querystring: CampaignListQuery, response: { 200: listOf(Campaign), ...problemResponses(400, 401) } }
  }, async request => page(await listCampaigns(app.ctx.db, request.clientId, request.query), request.query.limit, toCampaign, row => row.id))

  app.get('/campaigns/:id', {
    schema: { tags, security, summary: 'Get a campaign', params: IdParams, response: { 200: Campaign, ...problemResponses(400, 401, 404) } }
  }, async request => toCampaign(await requireCampaign(app.ctx.db, request.clientId, request.params.id)))

  app.patch('/campaigns/:id', {
    schema: { tags, security, summary: 'Change a scheduled campaign (409 once it has started)', params: IdParams, body: CampaignPatch, response: { 200: Campaign, ...problemResponses(400, 401, 404, 409) } }
  }, async request => await patchCampaign(app.ctx.db, request.clientId, request.params.id, request.body))

  app.post('/campaigns/:id/enroll', {
    schema: { tags, security, summary: 'Enroll leads that match now and were not enrolled yet, up to the cap', params: IdParams, response: { 200: EnrollResult, ...problemResponses(400, 401, 404, 409) } }
  }, async request => await enrollMore(servicesFor(request), request.clientId, request.params.id))

  app.post('/campaigns/:id/cancel', {
    schema: { tags, security, summary: 'Cancel: a scheduled campaign never activates, an active one stops its enrollments', params: IdParams, response: { 200: Campaign, ...problemResponses(400, 401, 404, 409) } }
  }, async request => await cancelCampaign(app.ctx, request.clientId, request.params.id))

  app.get('/campaigns/:id/enrollments', {
    schema: { tags, security, summary: "List a campaign's enrollments", params: IdParams, querystring: ListQuery, response: { 200: listOf(Enrollment), ...problemResponses(400, 401, 404) } }
  }, async request => {
    const campaign = await requireCampaign(app.ctx.db, request.clientId, request.params.id)
    const rows = await listEnrollments(app.ctx.db, campaign.id, request.query)
    return page(rows, request.query.limit, row => row, row => row.leadId)
  })
}

export default campaignRoutes
