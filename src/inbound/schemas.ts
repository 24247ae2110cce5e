import Type, { type Static } from 'typebox'
import { ListQuery, Timestamp, Uuid } from '../http/schemas.js'

export const InboundAction = Type.Enum(['opted_out', 'opted_in', 'help', 'reply', 'unknown_sender'])

export const InboundMessageInput = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 32, description: "the sender's phone: E.164, or a national number of DEFAULT_PHONE_REGION" }),
  body: Type.String({ maxLength: 1600, description: 'the whole text; a keyword counts only as the whole body (trimmed, any case)' }),
  receivedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the provider received it; default now' }))
}, { additionalProperties: false })
export type InboundMessageInput = Static<typeof InboundMessageInput>

export const InboundResult = Type.Object({
  id: Uuid,
  action: InboundAction,
  leadIds: Type.Array(Uuid, { description: "the client's leads with that phone" }),
  stoppedEnrollments: Type.Integer({ description: 'active enrollments this message stopped' })
})
export type InboundResult = Static<typeof InboundResult>

export const InboundMessage = Type.Object({
  ...InboundResult.properties,
  from: Type.String({ description: 'E.164' }),
  body: Type.String(),
  stoppedCampaignIds: Type.Array(Uuid),
  receivedAt: Timestamp,
  processedAt: Timestamp
})
export type InboundMessage = Static<typeof InboundMessage>

export const InboundListQuery = Type.Object({
  ...ListQuery.properties,
  leadId: Type.Optional(Type.String({ format: 'uuid', description: "only messages from this lead's phone (its conversation)" }))
}, { additionalProperties: false })
export type InboundListQuery = Static<typeof InboundListQuery>
