import Type, { type Static } from 'typebox'
import { SendWindow } from '../delivery/send-window.js'
import { ListQuery, NonBlank, Nullable, Timestamp, Uuid } from '../http/schemas.js'
import { EngagementLevel, Lead } from '../leads/schemas.js'

export const MAX_DELAY_MINUTES = 43200
/** Characters (code points) in one message body. */
export const MAX_MESSAGE_BODY = 1600

export const Targeting = Type.Object({
  tags: Type.Optional(Type.Array(NonBlank({ maxLength: 100 }), { minItems: 1, maxItems: 50, uniqueItems: true })),
  tagMatch: Type.Optional(Type.Enum(['any', 'all'], { default: 'any', description: 'any (default): at least one tag; all: every tag' })),
  engagementLevels: Type.Optional(Type.Array(EngagementLevel, { minItems: 1, uniqueItems: true })),
  icpScore: Type.Optional(Type.Object({
    min: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    max: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 }))
  }, { additionalProperties: false })),
  createdAfter: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive' })),
  createdBefore: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive' }))
}, { additionalProperties: false, description: 'Every given part must hold for a lead to match; opted-out leads never match.' })
export type Targeting = Static<typeof Targeting>

export const Message = Type.Object({
  body: NonBlank({ maxLength: MAX_MESSAGE_BODY, description: 'may hold the placeholders {{first_name}} and {{last_name}} only' }),
  delayMinutes: Type.Integer({ minimum: 0, maximum: MAX_DELAY_MINUTES, description: 'after the previous message (the first: after enrollment)' })
}, { additionalProperties: false })
export type Message = Static<typeof Message>

const Name = NonBlank({ maxLength: 200 })
/** Stored as a PostgreSQL integer. */
const Cap = (description?: string) => Type.Integer({ minimum: 1, maximum: 2147483647, ...(description !== undefined ? { description } : {}) })
const StopOnReply = Type.Boolean({ description: "a lead's inbound reply (any body but a keyword) stops its active enrollment in this campaign; default true" })
const Messages = Type.Array(Message, { minItems: 1, maxItems: 20 })

export const CampaignInput = Type.Object({
  name: Name,
  targeting: Type.Optional(Targeting),
  messages: Messages,
  startAt: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'future: scheduled; absent or past: enroll now' }))),
  maxLeadsToEnroll: Type.Optional(Nullable(Cap('no cap when absent'))),
  sendWindow: Type.Optional(Nullable(SendWindow)),
  stopOnReply: Type.Optional(StopOnReply)
}, { additionalProperties: false })
export type CampaignInput = Static<typeof CampaignInput>

export const CampaignPatch = Type.Object({
  name: Type.Optional(Name),
  targeting: Type.Optional(Targeting),
  messages: Type.Optional(Messages),
  startAt: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'a past time (or null: now) activates it at the next tick' }))),
  maxLeadsToEnroll: Type.Optional(Nullable(Cap())),
  sendWindow: Type.Optional(Nullable(SendWindow)),
  stopOnReply: Type.Optional(StopOnReply)
}, { additionalProperties: false, minProperties: 1, description: 'Each field given replaces the stored one whole (targeting and messages included); fields left out are kept.' })
export type CampaignPatch = Static<typeof CampaignPatch>

export const CampaignStatus = Type.Enum(['scheduled', 'active', 'completed', 'expired', 'cancelled'])

export const Campaign = Type.Object({
  id: Uuid,
  name: Type.String(),
  status: CampaignStatus,
  targeting: Targeting,
  messages: Type.Array(Message),
  startAt: Nullable(Timestamp),
  maxLeadsToEnroll: Nullable(Type.Integer()),
  sendWindow: Nullable(SendWindow),
  stopOnReply: StopOnReply,
  leadsEnrolled: Type.Integer(),
  enrollmentPending: Type.Boolean({ description: 'a time-budget stop left matching leads; the next activation tick continues' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  activatedAt: Nullable(Timestamp),
  endedAt: Nullable(Timestamp)
})
export type Campaign = Static<typeof Campaign>

export const EnrollmentWarning = Type.Object({
  totalMatching: Type.Integer(),
  enrolled: Type.Integer(),
  remaining: Type.Integer(),
  reason: Type.Enum(['enrollment_cap', 'timeout']),
  message: Type.String()
})
export type EnrollmentWarning = Static<typeof EnrollmentWarning>

export const CreatedCampaign = Type.Object({
  ...Campaign.properties,
  enrollment: Type.Optional(Type.Object({ totalMatching: Type.Integer(), enrolled: Type.Integer() }, { description: 'present when the campaign started at once' })),
  warning: Type.Optional(EnrollmentWarning)
})
export type CreatedCampaign = Static<typeof CreatedCampaign>

export const EnrollResult = Type.Object({
  enrolled: Type.Integer(),
  totalMatching: Type.Integer(),
  leadsEnrolled: Type.Integer(),
  warning: Type.Optional(EnrollmentWarning)
})
export type EnrollResult = Static<typeof EnrollResult>

export const Preview = Type.Object({
  totalMatching: Type.Integer(),
  wouldEnroll: Type.Integer(),
  excluded: Type.Object({ optedOut: Type.Integer(), activeElsewhere: Type.Integer() }),
  sample: Type.Array(Lead, { maxItems: 10, description: 'the first leads (at most 10, at most the cap) that would be enrolled, in cap order' })
})
export type Preview = Static<typeof Preview>

export const Enrollment = Type.Object({
  leadId: Uuid,
  status: Type.Enum(['active', 'completed', 'stopped']),
  enrolledAt: Timestamp,
  completesAt: Timestamp,
  stopReason: Nullable(Type.Enum(['opted_out', 'campaign_cancelled', 'replied', 'delivery_failed'], { description: 'why a stopped enrollment stopped' })),
  nextStep: Nullable(Type.Integer({ minimum: 0, description: 'index of the message that goes out next; null once ended' })),
  nextDueAt: Nullable(Timestamp)
}, { description: 'completesAt: when the last message is planned; it moves as messages go out.' })
export type Enrollment = Static<typeof Enrollment>

export const CampaignListQuery = Type.Object({
  ...ListQuery.properties,
  status: Type.Optional(CampaignStatus)
}, { additionalProperties: false })
export type CampaignListQuery = Static<typeof CampaignListQuery>
