import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdempotencyHeaders, listOf, page, problemResponses } from '../http/schemas.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { createInboundMetrics } from './metrics.js'
import { listInboundMessages, toInboundMessage } from './repository.js'
import { InboundListQuery, InboundMessage, InboundMessageInput, InboundResult } from './schemas.js'
import { receiveInboundMessage } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['inbound']

const inboundRoutes: FastifyPluginAsyncTypebox = async app => {
  const metrics = createInboundMetrics(app.ctx.metrics)

  app.post('/inbound-messages', {
    schema: {
      tags, security, summary: 'Apply an inbound SMS: STOP/START/HELP keywords, or a reply that stops enrollments in stop-on-reply campaigns',
      headers: IdempotencyHeaders, body: InboundMessageInput,
      response: { 200: InboundResult, ...problemResponses(400, 401, 409, 422) }
    }
  }, async (request, reply) => {
    const result = await runIdempotent(app.ctx.db, {
      clientId: request.clientId, scope: 'POST /v1/inbound-messages', key: request.headers['idempotency-key'], body: request.body
    }, async messageId => ({ status: 200, body: await receiveInboundMessage(app.ctx, request.clientId, request.body, messageId) }))
    const answer = result.body
    if (result.replayed) void reply.header('idempotent-replayed', 'true')
    else metrics.messages.inc({ action: answer.action })
    return await reply.code(200).send(answer)
  })

  app.get('/inbound-messages', {
    schema: { tags, security, summary: 'List inbound messages, oldest received first (filter leadId: a lead\'s conversation)', querystring: InboundListQuery, response: { 200: listOf(InboundMessage), ...problemResponses(400, 401) } }
  }, async request => page(await listInboundMessages(app.ctx.db, request.clientId, request.query), request.query.limit, toInboundMessage, row => row.id))
}

export default inboundRoutes
