import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { enrollmentMetrics } from '../enrollment/metrics.js'
import { ref, reply } from '../http/openapi.js'
import { IDEMPOTENCY_PROBLEMS, IdParams, IdempotencyHeaders, page, problemResponses } from '../http/schemas.js'
import { missingBodyAsEmpty } from '../http/validation.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { listCampaigns, listEnrollments, toCampaign } from './repository.js'
import { Campaign, CampaignInput, CampaignListQuery, CampaignPage, CampaignPatch, CreatedCampaign, EnrollResult, EnrollmentListQuery, EnrollmentPage, Preview, PreviewInput } from './schemas.js'
import { cancelCampaign, createCampaign, enrollMore, patchCampaign, previewCampaign, requireCampaign, type CampaignServices } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['campaigns']
const NO_CAMPAIGN = { 404: 'No campaign with this id for this client' }
const BUSY = 'another request is enrolling this campaign right now (`campaign-busy`, retry after Retry-After)'

const campaignRoutes: FastifyPluginAsyncTypebox = async app => {
  const shared = { db: app.ctx.db, lockPool: app.ctx.lockPool, config: app.ctx.config, stopping: app.ctx.stopping, enrollmentMetrics: enrollmentMetrics(app.ctx) }
  // Each request logs through its own logger, so enrollment lines carry its reqId.
  const servicesFor = (request: FastifyRequest): CampaignServices => ({ ...shared, logger: request.log })

  app.post('/campaigns', {
    schema: {
      tags, security, operationId: 'createCampaign', summary: 'Create a campaign',
      description: 'Without `startAt` (or with one not in the future) the matching leads are enrolled before the answer and the campaign is `active`; with a future `startAt` it is `scheduled` and the activation tick enrolls it then. Accepts an Idempotency-Key.',
      headers: IdempotencyHeaders, body: ref(CampaignInput),
      response: {
        201: reply('The campaign, with what its enrollment did when it started at once', CreatedCampaign, { headers: ['Idempotent-Replayed'] }),
        ...problemResponses(400, 401, IDEMPOTENCY_PROBLEMS)
      }
    }
  }, async (request, reply) => {
    const result = await runIdempotent(app.ctx.db, {
      clientId: request.clientId, scope: 'POST /v1/campaigns', key: request.headers['idempotency-key'], body: request.body
    }, async campaignId => ({ status: 201, body: await createCampaign(servicesFor(request), request.clientId, request.body, campaignId) }))
    if (result.replayed) void reply.header('idempotent-replayed', 'true')
    return await reply.code(result.status).send(result.body)
  })

  app.post('/campaigns/preview', {
    // No body previews every lead, as {} does.
    preValidation: missingBodyAsEmpty,
    schema: {
      tags, security, operationId: 'previewCampaign', summary: 'Preview a campaign\'s audience',
      description: 'What creating a campaign with this targeting and cap now would enroll: counts, exclusions and a sample. Writes nothing. A full create body is accepted too.',
      body: ref(PreviewInput), response: { 200: reply('The audience the campaign would enroll now', Preview), ...problemResponses(400, 401) }
    }
  }, async request => await previewCampaign(app.ctx.db, request.clientId, request.body))

  app.get('/campaigns', {
    schema: {
      tags, security, operationId: 'listCampaigns', summary: 'List campaigns', description: 'A page of the client\'s campaigns, optionally of one status.',
      querystring: CampaignListQuery, response: { 200: reply('A page of campaigns', CampaignPage), ...problemResponses(400, 401) }
    }
  }, async request => page(await listCampaigns(app.ctx.db, request.clientId, request.query), request.query.limit, toCampaign, row => row.id))

  app.get('/campaigns/:id', {
    schema: {
      tags, security, operationId: 'getCampaign', summary: 'Get a campaign', description: 'One campaign of the client, with its status and how many leads it enrolled.',
      params: IdParams, response: { 200: reply('The campaign', Campaign), ...problemResponses(400, 401, NO_CAMPAIGN) }
    }
  }, async request => toCampaign(await requireCampaign(app.ctx.db, request.clientId, request.params.id)))

  app.patch('/campaigns/:id', {
    schema: {
      tags, security, operationId: 'updateCampaign', summary: 'Change a scheduled campaign',
      description: 'Each field given replaces the stored one; only while the campaign is `scheduled`. Same rules as create.',
      params: IdParams, body: ref(CampaignPatch),
      response: { 200: reply('The campaign as changed', Campaign), ...problemResponses(400, 401, NO_CAMPAIGN, { 409: 'The campaign is no longer scheduled (`campaign-not-scheduled`)' }) }
    }
  }, async request => await patchCampaign(app.ctx.db, request.clientId, request.params.id, request.body))

  app.post('/campaigns/:id/enroll', {
    schema: {
      tags, security, operationId: 'enrollCampaign', summary: 'Enroll more leads into an active campaign',
      description: 'Enrolls the leads that match now and were not enrolled yet, up to the cap. Takes no body.',
      params: IdParams,
      response: { 200: reply('What this call enrolled', EnrollResult), ...problemResponses(400, 401, NO_CAMPAIGN, { 409: `The campaign is not active (\`campaign-not-active\`), or ${BUSY}` }) }
    }
  }, async request => await enrollMore(servicesFor(request), request.clientId, request.params.id))

  app.post('/campaigns/:id/cancel', {
    schema: {
      tags, security, operationId: 'cancelCampaign', summary: 'Cancel a campaign',
      description: 'A scheduled campaign never activates; an active one stops its active enrollments and their pending deliveries. Cancelling a cancelled campaign answers it again. Takes no body.',
      params: IdParams,
      response: { 200: reply('The cancelled campaign', Campaign), ...problemResponses(400, 401, NO_CAMPAIGN, { 409: 'The campaign has already ended (`campaign-ended`)' }) }
    }
  }, async request => await cancelCampaign(app.ctx, request.clientId, request.params.id))

  app.get('/campaigns/:id/enrollments', {
    schema: {
      tags, security, operationId: 'listEnrollments', summary: 'List a campaign\'s enrollments',
      description: 'A page of the campaign\'s enrollments in lead id order, optionally only those of one status or one lead.',
      params: IdParams, querystring: EnrollmentListQuery,
      response: { 200: reply('A page of enrollments', EnrollmentPage), ...problemResponses(400, 401, NO_CAMPAIGN) }
    }
  }, async request => {
    const campaign = await requireCampaign(app.ctx.db, request.clientId, request.params.id)
    const rows = await listEnrollments(app.ctx.db, campaign.id, request.query)
    return page(rows, request.query.limit, row => row, row => row.leadId)
  })
}

export default campaignRoutes
