import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireCampaign } from '../campaigns/service.js'
import { conflict, notFound } from '../http/problem.js'
import { ref, reply } from '../http/openapi.js'
import { IdParams, page, problemResponses } from '../http/schemas.js'
import { missingBodyAsEmpty } from '../http/validation.js'
import { deliveryMetrics, type DeliveryMetrics } from './metrics.js'
import { campaignStats, findDelivery, listDeliveries, toDelivery } from './repository.js'
import { applyResults, type AppliedResults } from './results.js'
import { BatchResults, BatchResultsInput, CampaignStats, ClaimInput, ClaimedDeliveries, DEFAULT_CLAIM_LIMIT, DEFAULT_LEASE_SECONDS, Delivery, DeliveryListQuery, DeliveryPage, ResultInput } from './schemas.js'
import { claimDeliveries } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['deliveries']

function count (metrics: DeliveryMetrics, result: AppliedResults): void {
  metrics.sent.inc(result.sent)
  metrics.failed.inc({ final: 'false' }, result.retried)
  metrics.failed.inc({ final: 'true' }, result.failedFinal)
}

/** The sender's API: claim due messages under a lease, report what happened to each. */
const deliveryRoutes: FastifyPluginAsyncTypebox = async app => {
  const metrics = deliveryMetrics(app.ctx)

  app.post('/deliveries/claim', {
    // A claim without a body takes the defaults (limit 100, lease 300 s).
    preValidation: missingBodyAsEmpty,
    schema: {
      tags, security, operationId: 'claimDeliveries', summary: 'Claim due deliveries',
      description: 'Leases the deliveries due now of active enrollments, oldest `dueAt` first, with their bodies rendered. While a lease holds no other claim returns the delivery; once it expires the delivery can be claimed again (`attempts` + 1).',
      body: ref(ClaimInput), response: { 200: reply('The leased deliveries (none when nothing is due)', ClaimedDeliveries), ...problemResponses(400, 401) }
    }
  }, async (request, reply) => {
    // Validation filled in the defaults; the body's type has them optional, as the document does.
    const { limit = DEFAULT_CLAIM_LIMIT, leaseSeconds = DEFAULT_LEASE_SECONDS } = request.body
    // JSON text with its type set: fastify sends it as it is. The text is that schema's shape
    // (deliveryJson); the type provider only knows objects, hence the cast.
    const text = await claimDeliveries(app.ctx, metrics, request.clientId, { limit, leaseSeconds })
    return await reply.type('application/json; charset=utf-8').send(text as unknown as { data: Delivery[] })
  })

  app.post('/deliveries/:id/result', {
    schema: {
      tags, security, operationId: 'reportDeliveryResult', summary: 'Report a delivery result',
      description: '`sent` is final and schedules the next message; `failed` and retryable makes it pending again after a backoff (the 5th failed attempt is final); a final failure stops the enrollment. Taken whether or not the lease still holds; the same outcome again changes nothing.',
      params: IdParams, body: ref(ResultInput),
      response: { 200: reply('The delivery as updated', Delivery), ...problemResponses(400, 401, { 404: 'No delivery with this id for this client', 409: 'A different outcome for a delivery that is already final (`delivery-result-conflict`)' }) }
    }
  }, async request => {
    const result = await applyResults(app.ctx.db, app.ctx.config, request.clientId, [{ id: request.params.id, ...request.body }])
    count(metrics, result)
    if (result.notFound.length > 0) throw notFound('delivery')
    const clash = result.conflicts[0]
    if (clash !== undefined) throw conflict(clash.detail, 'delivery-result-conflict')
    const row = await findDelivery(app.ctx.db, request.clientId, request.params.id)
    if (row === undefined) throw notFound('delivery')
    return toDelivery(row)
  })

  app.post('/deliveries/results', {
    schema: {
      tags, security, operationId: 'reportDeliveryResults', summary: 'Report up to 500 delivery results',
      description: 'Each result by the rules of the single report; conflicts and unknown ids are listed in the answer, not refused.',
      body: ref(BatchResultsInput), response: { 200: reply('What each result did: applied, unchanged, conflicts, not found', BatchResults), ...problemResponses(400, 401) }
    }
  }, async request => {
    const { sent, retried, failedFinal, ...answer } = await applyResults(app.ctx.db, app.ctx.config, request.clientId, request.body.results)
    count(metrics, { ...answer, sent, retried, failedFinal })
    return answer
  })

  app.get('/deliveries', {
    schema: {
      tags, security, operationId: 'listDeliveries', summary: 'List deliveries', description: 'A page of the client\'s deliveries, optionally of one campaign, lead or status.',
      querystring: DeliveryListQuery, response: { 200: reply('A page of deliveries', DeliveryPage), ...problemResponses(400, 401) }
    }
  }, async request => page(await listDeliveries(app.ctx.db, request.clientId, request.query), request.query.limit, toDelivery, row => row.id))

  app.get('/campaigns/:id/stats', {
    schema: {
      tags: ['campaigns'], security, operationId: 'getCampaignStats', summary: 'Get a campaign\'s statistics',
      description: 'The campaign\'s enrollments by status and stop reason, and its messages by delivery state, one entry per message; counted from the rows.',
      params: IdParams, response: { 200: reply('The campaign\'s counts', CampaignStats), ...problemResponses(400, 401, { 404: 'No campaign with this id for this client' }) }
    }
  }, async request => {
    const campaign = await requireCampaign(app.ctx.db, request.clientId, request.params.id)
    return await campaignStats(app.ctx.db, campaign.id, campaign.messages.length)
  })
}

export default deliveryRoutes
