import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireCampaign } from '../campaigns/service.js'
import { conflict, notFound } from '../http/problem.js'
import { IdParams, listOf, page, problemResponses } from '../http/schemas.js'
import { deliveryMetrics, type DeliveryMetrics } from './metrics.js'
import { campaignStats, findDelivery, listDeliveries, toDelivery } from './repository.js'
import { applyResults, type AppliedResults } from './results.js'
import { BatchResults, BatchResultsInput, CampaignStats, ClaimInput, Delivery, DeliveryListQuery, ResultInput } from './schemas.js'
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
    preValidation: async request => { request.body ??= {} as ClaimInput },
    schema: {
      tags, security, summary: 'Lease due deliveries, oldest first, with their bodies rendered',
      body: ClaimInput, response: { 200: Type.Object({ data: Type.Array(Delivery) }), ...problemResponses(400, 401) }
    }
  }, async request => ({ data: (await claimDeliveries(app.ctx, metrics, request.clientId, request.body)).map(toDelivery) }))

  app.post('/deliveries/:id/result', {
    schema: {
      tags, security, summary: 'Report a delivery sent or failed (the same result again changes nothing)',
      params: IdParams, body: ResultInput, response: { 200: Delivery, ...problemResponses(400, 401, 404, 409) }
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
      tags, security, summary: 'Report up to 500 results at once, each by the rules of the single result',
      body: BatchResultsInput, response: { 200: BatchResults, ...problemResponses(400, 401) }
    }
  }, async request => {
    const { sent, retried, failedFinal, ...answer } = await applyResults(app.ctx.db, app.ctx.config, request.clientId, request.body.results)
    count(metrics, { ...answer, sent, retried, failedFinal })
    return answer
  })

  app.get('/deliveries', {
    schema: { tags, security, summary: 'List deliveries', querystring: DeliveryListQuery, response: { 200: listOf(Delivery), ...problemResponses(400, 401) } }
  }, async request => page(await listDeliveries(app.ctx.db, request.clientId, request.query), request.query.limit, toDelivery, row => row.id))

  app.get('/campaigns/:id/stats', {
    schema: { tags: ['campaigns'], security, summary: "A campaign's enrollments and messages by state", params: IdParams, response: { 200: CampaignStats, ...problemResponses(400, 401, 404) } }
  }, async request => {
    const campaign = await requireCampaign(app.ctx.db, request.clientId, request.params.id)
    return await campaignStats(app.ctx.db, campaign.id, campaign.messages.length)
  })
}

export default deliveryRoutes
