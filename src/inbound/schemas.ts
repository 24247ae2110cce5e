import Type, { type Static } from 'typebox'
import { component } from '../http/openapi.js'
import { DateTimeInput, ListQuery, StringEnum, Timestamp, Uuid, pageOf } from '../http/schemas.js'

export const InboundAction = StringEnum(['opted_out', 'opted_in', 'help', 'reply', 'unknown_sender'])

export const InboundMessageInput = component('InboundMessageInput', Type.Object({
  from: Type.String({ minLength: 1, maxLength: 32, description: "the sender's phone: E.164, or a national number of DEFAULT_PHONE_REGION" }),
  body: Type.String({ maxLength: 1600, description: 'the whole text; a keyword counts only as the whole body (trimmed, any case)' }),
  receivedAt: Type.Optional(DateTimeInput('when the provider received it; default now'))
}, { additionalProperties: false, examples: [{ from: '+14155550100', body: 'STOP', receivedAt: '2026-11-25T16:20:00Z' }] }))
export type InboundMessageInput = Static<typeof InboundMessageInput>

const INBOUND_RESULT = { id: '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', action: 'opted_out', leadIds: ['0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41'], stoppedEnrollments: 1 }

export const InboundResult = component('InboundResult', Type.Object({
  id: Uuid,
  action: InboundAction,
  leadIds: Type.Array(Uuid, { description: "the client's leads with that phone" }),
  stoppedEnrollments: Type.Integer({ description: 'active enrollments this message stopped' })
}, { examples: [INBOUND_RESULT] }))
export type InboundResult = Static<typeof InboundResult>

export const InboundMessage = component('InboundMessage', Type.Object({
  ...InboundResult.properties,
  from: Type.String({ description: 'E.164' }),
  body: Type.String(),
  stoppedCampaignIds: Type.Array(Uuid),
  receivedAt: Timestamp,
  processedAt: Timestamp
}, {
  examples: [{ ...INBOUND_RESULT, from: '+14155550100', body: 'STOP', stoppedCampaignIds: ['3d7f1c2e-8b4a-4f6e-9a0d-5c2b1e7f9a10'], receivedAt: '2026-11-25T16:20:00.000Z', processedAt: '2026-11-25T16:20:00.120Z' }]
}))
export const InboundMessagePage = pageOf('InboundMessagePage', InboundMessage)
export type InboundMessage = Static<typeof InboundMessage>

export const InboundListQuery = Type.Object({
  ...ListQuery.properties,
  leadId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: "only messages from this lead's phone (its conversation)" }))
}, { additionalProperties: false })
export type InboundListQuery = Static<typeof InboundListQuery>
