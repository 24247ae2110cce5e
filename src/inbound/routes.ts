import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref, reply } from '../http/openapi.js'
import { IDEMPOTENCY_PROBLEMS, IdempotencyHeaders, page, problemResponses } from '../http/schemas.js'
import { runIdempotent } from '../idempotency/idempotency.js'
import { createInboundMetrics } from './metrics.js'
import { listInboundMessages, toInboundMessage } from './repository.js'
import { InboundListQuery, InboundMessageInput, InboundMessagePage, InboundResult } from './schemas.js'
import { receiveInboundMessage } from './service.js'

const security = [{ clientKey: [] }]
const tags = ['inbound']

const inboundRoutes: FastifyPluginAsyncTypebox = async app => {
  const metrics = createInboundMetrics(app.ctx.metrics)

  app.post('/inbound-messages', {
    schema: {
      tags, security, operationId: 'receiveInboundMessage', summary: 'Apply an inbound SMS',
      description: 'A body of exactly STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE or OPTOUT opts the leads with that phone out; START or UNSTOP opts them back in; HELP or INFO changes nothing; any other body is a reply, which stops their active enrollments in stop-on-reply campaigns. Accepts an Idempotency-Key.',
      headers: IdempotencyHeaders, body: ref(InboundMessageInput),
      response: {
        200: reply('What the message did, and to which leads', InboundResult, { headers: ['Idempotent-Replayed'] }),
        ...problemResponses(400, 401, IDEMPOTENCY_PROBLEMS)
      }
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
    schema: {
      tags, security, operationId: 'listInboundMessages', summary: 'List inbound messages',
      description: 'A page of the client\'s inbound messages, oldest received first; `leadId` gives one lead\'s conversation.',
      querystring: InboundListQuery, response: { 200: reply('A page of inbound messages', InboundMessagePage), ...problemResponses(400, 401) }
    }
  }, async request => page(await listInboundMessages(app.ctx.db, request.clientId, request.query), request.query.limit, toInboundMessage, row => row.id))
}

export default inboundRoutes
