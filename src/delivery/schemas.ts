import Type, { type Static } from 'typebox'
import { ListQuery, Nullable, Timestamp, Uuid } from '../http/schemas.js'

export const DeliveryStatus = Type.Enum(['pending', 'leased', 'sent', 'failed', 'skipped'])

export const Delivery = Type.Object({
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
})
export type Delivery = Static<typeof Delivery>

export const ClaimInput = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  leaseSeconds: Type.Integer({ minimum: 10, maximum: 3600, default: 300, description: 'no other claim returns these deliveries until the lease expires' })
}, { additionalProperties: false })
export type ClaimInput = Static<typeof ClaimInput>

const ResultFields = {
  outcome: Type.Enum(['sent', 'failed']),
  providerMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  error: Type.Optional(Type.String({ maxLength: 500 })),
  retryable: Type.Optional(Type.Boolean({ default: true, description: 'failed only: false makes the failure final' }))
}

export const ResultInput = Type.Object(ResultFields, { additionalProperties: false })
export type ResultInput = Static<typeof ResultInput>

export const BatchResultItem = Type.Object({ id: Uuid, ...ResultFields }, { additionalProperties: false })
export type BatchResultItem = Static<typeof BatchResultItem>

export const BatchResultsInput = Type.Object({
  results: Type.Array(BatchResultItem, { minItems: 1, maxItems: 500 })
}, { additionalProperties: false })

export const BatchResults = Type.Object({
  applied: Type.Integer(),
  unchanged: Type.Integer({ description: 'the same result was already recorded' }),
  conflicts: Type.Array(Type.Object({ id: Uuid, detail: Type.String() })),
  notFound: Type.Array(Uuid)
})
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

export const CampaignStats = Type.Object({
  enrollments: Type.Object({ active: Type.Integer(), completed: Type.Integer(), stopped: Type.Integer() }),
  stopReasons: Type.Object({ opted_out: Type.Integer(), campaign_cancelled: Type.Integer(), replied: Type.Integer(), delivery_failed: Type.Integer() }),
  replies: Type.Integer({ description: 'inbound replies that stopped enrollments of this campaign' }),
  optOuts: Type.Integer({ description: 'inbound STOP messages that stopped enrollments of this campaign' }),
  steps: Type.Array(StepCounts, { description: 'one entry per message of the campaign' })
})
export type CampaignStats = Static<typeof CampaignStats>
