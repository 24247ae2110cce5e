import Type, { type Static } from 'typebox'
import { component, ref } from '../http/openapi.js'
import { ListQuery, Nullable, StringEnum, Timestamp, Uuid, pageOf } from '../http/schemas.js'

export const DeliveryStatus = StringEnum(['pending', 'leased', 'sent', 'failed', 'skipped'])

const DELIVERY_ID = '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f'
const DELIVERY_EXAMPLE = {
  id: DELIVERY_ID, campaignId: '3d7f1c2e-8b4a-4f6e-9a0d-5c2b1e7f9a10', leadId: '0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41', step: 0,
  to: '+14155550100', body: 'Hi Ann, welcome aboard!', status: 'leased', dueAt: '2026-11-25T14:05:00.000Z', attempts: 1,
  leaseExpiresAt: '2026-11-25T14:10:00.000Z', sentAt: null, providerMessageId: null, error: null, skipReason: null
}

export const Delivery = component('Delivery', Type.Object({
  id: Uuid,
  campaignId: Uuid,
  leadId: Uuid,
  step: Type.Integer({ minimum: 0, description: "0-based index into the campaign's messages" }),
  to: Nullable(Type.String({ description: "the lead's phone (E.164): as handed out by the last claim, else as it is now" })),
  body: Type.String({ description: 'placeholders filled: as rendered by the last claim, else as it would be now' }),
  status: DeliveryStatus,
  dueAt: Timestamp,
  attempts: Type.Integer({ minimum: 0, description: 'claims that handed it out' }),
  leaseExpiresAt: Nullable(Timestamp),
  sentAt: Nullable(Timestamp),
  providerMessageId: Nullable(Type.String()),
  error: Nullable(Type.String()),
  skipReason: Nullable(Type.String({ description: 'no_phone, stale, or withdrawn (its enrollment stopped)' }))
}, {
  examples: [DELIVERY_EXAMPLE]
}))
export const DeliveryPage = pageOf('DeliveryPage', Delivery)
export const ClaimedDeliveries = component('ClaimedDeliveries', Type.Object({ data: Type.Array(ref(Delivery), { maxItems: 500 }) }, {
  examples: [{ data: [DELIVERY_EXAMPLE] }]
}))
export type Delivery = Static<typeof Delivery>

export const DEFAULT_CLAIM_LIMIT = 100
export const DEFAULT_LEASE_SECONDS = 300
// Optional, as the contract says: a field with a default that is also required makes generated
// clients send it every time.
export const ClaimInput = component('ClaimInput', Type.Object({
  limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 500, default: DEFAULT_CLAIM_LIMIT })),
  leaseSeconds: Type.Optional(Type.Integer({ format: 'int32', minimum: 10, maximum: 3600, default: DEFAULT_LEASE_SECONDS, description: 'no other claim returns these deliveries until the lease expires' }))
}, { additionalProperties: false, examples: [{ limit: 100, leaseSeconds: 300 }] }))
export type ClaimInput = Static<typeof ClaimInput>

const ResultFields = {
  outcome: StringEnum(['sent', 'failed']),
  providerMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  error: Type.Optional(Type.String({ maxLength: 500 })),
  retryable: Type.Optional(Type.Boolean({ default: true, description: 'failed only: false makes the failure final' }))
}

export const ResultInput = component('DeliveryResultInput', Type.Object(ResultFields, { additionalProperties: false, examples: [{ outcome: 'sent', providerMessageId: 'SM0123456789abcdef' }] }))
export type ResultInput = Static<typeof ResultInput>

export const BatchResultItem = component('DeliveryResultItem', Type.Object({ id: Uuid, ...ResultFields }, { additionalProperties: false }))
export type BatchResultItem = Static<typeof BatchResultItem>

export const BatchResultsInput = component('DeliveryResultsInput', Type.Object({
  results: Type.Array(ref(BatchResultItem), { minItems: 1, maxItems: 500 })
}, {
  additionalProperties: false,
  examples: [{ results: [{ id: DELIVERY_ID, outcome: 'sent', providerMessageId: 'SM0123456789abcdef' }, { id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968', outcome: 'failed', error: 'carrier rejected', retryable: false }] }]
}))

export const BatchResults = component('DeliveryResults', Type.Object({
  applied: Type.Integer(),
  unchanged: Type.Integer({ description: 'the same result was already recorded' }),
  conflicts: Type.Array(Type.Object({ id: Uuid, detail: Type.String() })),
  notFound: Type.Array(Uuid)
}, { examples: [{ applied: 2, unchanged: 0, conflicts: [], notFound: [] }] }))
export type BatchResults = Static<typeof BatchResults>

export const DeliveryListQuery = Type.Object({
  ...ListQuery.properties,
  campaignId: Type.Optional(Uuid),
  leadId: Type.Optional(Uuid),
  status: Type.Optional(DeliveryStatus)
}, { additionalProperties: false })
export type DeliveryListQuery = Static<typeof DeliveryListQuery>

const StepCounts = Type.Object({
  step: Type.Integer(),
  pending: Type.Integer({ description: 'waiting, including messages of active enrollments not yet due' }),
  leased: Type.Integer(),
  sent: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer()
})

export const CampaignStats = component('CampaignStats', Type.Object({
  enrollments: Type.Object({ active: Type.Integer(), completed: Type.Integer(), stopped: Type.Integer() }),
  stopReasons: Type.Object({ opted_out: Type.Integer(), campaign_cancelled: Type.Integer(), replied: Type.Integer(), delivery_failed: Type.Integer() }),
  replies: Type.Integer({ description: 'inbound replies that stopped enrollments of this campaign' }),
  optOuts: Type.Integer({ description: 'inbound STOP messages that stopped enrollments of this campaign' }),
  steps: Type.Array(StepCounts, { description: 'one entry per message of the campaign' })
}, {
  examples: [{
    enrollments: { active: 1, completed: 0, stopped: 0 }, stopReasons: { opted_out: 0, campaign_cancelled: 0, replied: 0, delivery_failed: 0 }, replies: 0, optOuts: 0,
    steps: [{ step: 0, pending: 0, leased: 0, sent: 1, failed: 0, skipped: 0 }, { step: 1, pending: 1, leased: 0, sent: 0, failed: 0, skipped: 0 }]
  }]
}))
export type CampaignStats = Static<typeof CampaignStats>
