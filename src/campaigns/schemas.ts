import Type, { type Static } from 'typebox'
import { SendWindow } from '../delivery/send-window.js'
import { component, ref } from '../http/openapi.js'
import { DateTimeInput, ListQuery, NonBlank, Nullable, StringEnum, Timestamp, Uuid, pageOf } from '../http/schemas.js'
import { EngagementLevel, Lead } from '../leads/schemas.js'

export const MAX_DELAY_MINUTES = 43200
/** Characters (code points) in one message body. */
export const MAX_MESSAGE_BODY = 1600

const Percent = Type.Integer({ format: 'int32', minimum: 0, maximum: 100 })

export const Targeting = component('Targeting', Type.Object({
  tags: Type.Optional(Type.Array(NonBlank({ maxLength: 100 }), { minItems: 1, maxItems: 50, uniqueItems: true })),
  tagMatch: Type.Optional(StringEnum(['any', 'all'], { default: 'any', description: 'any (default): at least one tag; all: every tag' })),
  engagementLevels: Type.Optional(Type.Array(EngagementLevel, { minItems: 1, maxItems: 3, uniqueItems: true })),
  icpScore: Type.Optional(Type.Object({ min: Type.Optional(Percent), max: Type.Optional(Percent) }, { additionalProperties: false })),
  createdAfter: Type.Optional(DateTimeInput('inclusive')),
  createdBefore: Type.Optional(DateTimeInput('inclusive'))
}, {
  additionalProperties: false,
  description: 'Every given part must hold for a lead to match; opted-out leads never match.',
  examples: [{ tags: ['vip'], icpScore: { min: 30 } }]
}))
export type Targeting = Static<typeof Targeting>

export const Message = component('Message', Type.Object({
  body: NonBlank({ maxLength: MAX_MESSAGE_BODY, description: 'may hold the placeholders {{first_name}} and {{last_name}} only' }),
  delayMinutes: Type.Integer({ format: 'int32', minimum: 0, maximum: MAX_DELAY_MINUTES, description: 'after the previous message (the first: after enrollment)' })
}, { additionalProperties: false, examples: [{ body: 'Hi {{first_name}}, welcome aboard!', delayMinutes: 0 }] }))
export type Message = Static<typeof Message>

const Name = NonBlank({ maxLength: 200 })
/** Stored as a PostgreSQL integer. */
const Cap = (description?: string) => Type.Integer({ format: 'int32', minimum: 1, maximum: 2147483647, ...(description !== undefined ? { description } : {}) })
const StopOnReply = Type.Boolean({ description: "a lead's inbound reply (any body but a keyword) stops its active enrollment in this campaign; default true" })
const Messages = Type.Array(ref(Message), { minItems: 1, maxItems: 20 })

const VIP_WELCOME = {
  name: 'VIP welcome',
  targeting: { tags: ['vip'], icpScore: { min: 30 } },
  messages: [{ body: 'Hi {{first_name}}, welcome aboard!', delayMinutes: 0 }, { body: '{{first_name}}, a quick tip for your first week', delayMinutes: 1440 }],
  maxLeadsToEnroll: 1
}

export const CampaignInput = component('CampaignInput', Type.Object({
  name: Name,
  targeting: Type.Optional(ref(Targeting)),
  messages: Messages,
  startAt: Type.Optional(Nullable(DateTimeInput('future: scheduled; absent or past: enroll now'))),
  maxLeadsToEnroll: Type.Optional(Nullable(Cap('no cap when absent'))),
  sendWindow: Type.Optional(Nullable(ref(SendWindow))),
  stopOnReply: Type.Optional(StopOnReply)
}, { additionalProperties: false, examples: [VIP_WELCOME] }))
export type CampaignInput = Static<typeof CampaignInput>

/** What a preview evaluates: the audience, the cap and the window. A create body is taken as it is. */
export const PreviewInput = component('PreviewInput', Type.Object({
  targeting: Type.Optional(ref(Targeting)),
  maxLeadsToEnroll: Type.Optional(Nullable(Cap('no cap when absent'))),
  sendWindow: Type.Optional(Nullable(ref(SendWindow))),
  name: Type.Optional(Name),
  messages: Type.Optional(Messages),
  startAt: Type.Optional(Nullable(DateTimeInput('accepted and ignored: a preview is always "now"'))),
  stopOnReply: Type.Optional(StopOnReply)
}, {
  additionalProperties: false,
  description: 'targeting, maxLeadsToEnroll and sendWindow are evaluated; name, messages, startAt and stopOnReply are optional (a create body can be sent as it is) and are checked when given',
  examples: [{ targeting: { tags: ['vip'], icpScore: { min: 30 } }, maxLeadsToEnroll: 1 }]
}))
export type PreviewInput = Static<typeof PreviewInput>

export const CampaignPatch = component('CampaignPatch', Type.Object({
  name: Type.Optional(Name),
  targeting: Type.Optional(ref(Targeting)),
  messages: Type.Optional(Messages),
  startAt: Type.Optional(Nullable(DateTimeInput('a past time (or null: now) activates it at the next tick'))),
  maxLeadsToEnroll: Type.Optional(Nullable(Cap())),
  sendWindow: Type.Optional(Nullable(ref(SendWindow))),
  stopOnReply: Type.Optional(StopOnReply)
}, {
  additionalProperties: false,
  minProperties: 1,
  description: 'Each field given replaces the stored one whole (targeting and messages included); fields left out are kept.',
  examples: [{ startAt: '2026-12-01T09:00:00Z', maxLeadsToEnroll: 500 }]
}))
export type CampaignPatch = Static<typeof CampaignPatch>

export const CAMPAIGN_STATUSES = ['scheduled', 'active', 'completed', 'expired', 'cancelled'] as const
export const CampaignStatus = StringEnum(CAMPAIGN_STATUSES)

const CAMPAIGN_EXAMPLE = {
  id: '3d7f1c2e-8b4a-4f6e-9a0d-5c2b1e7f9a10', ...VIP_WELCOME, status: 'active', startAt: null, sendWindow: null, stopOnReply: true,
  leadsEnrolled: 1, enrollmentPending: false, createdAt: '2026-11-25T14:05:00.000Z', updatedAt: '2026-11-25T14:05:00.000Z',
  activatedAt: '2026-11-25T14:05:00.000Z', endedAt: null
}

const CampaignFields = {
  id: Uuid,
  name: Type.String(),
  status: CampaignStatus,
  targeting: ref(Targeting),
  messages: Type.Array(ref(Message)),
  startAt: Nullable(Timestamp),
  maxLeadsToEnroll: Nullable(Type.Integer()),
  sendWindow: Nullable(ref(SendWindow)),
  stopOnReply: StopOnReply,
  leadsEnrolled: Type.Integer(),
  enrollmentPending: Type.Boolean({ description: 'a time-budget stop left matching leads; the next activation tick continues' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  activatedAt: Nullable(Timestamp),
  endedAt: Nullable(Timestamp)
}

export const Campaign = component('Campaign', Type.Object(CampaignFields, { examples: [CAMPAIGN_EXAMPLE] }))
export type Campaign = Static<typeof Campaign>

export const EnrollmentWarning = component('EnrollmentWarning', Type.Object({
  totalMatching: Type.Integer(),
  enrolled: Type.Integer(),
  remaining: Type.Integer(),
  reason: StringEnum(['enrollment_cap', 'timeout']),
  message: Type.String()
}, { description: 'present when not every matching lead was enrolled' }))
export type EnrollmentWarning = Static<typeof EnrollmentWarning>

export const CreatedCampaign = component('CreatedCampaign', Type.Object({
  ...CampaignFields,
  enrollment: Type.Optional(Type.Object({ totalMatching: Type.Integer(), enrolled: Type.Integer() }, { description: 'present when the campaign started at once' })),
  warning: Type.Optional(ref(EnrollmentWarning))
}, {
  description: 'The campaign; when it started at once, what its enrollment did',
  examples: [{
    ...CAMPAIGN_EXAMPLE,
    enrollment: { totalMatching: 2, enrolled: 1 },
    warning: { totalMatching: 2, enrolled: 1, remaining: 1, reason: 'enrollment_cap', message: "Enrolled 1 of 2 matching leads: the campaign's maxLeadsToEnroll cap was reached, 1 was not enrolled." }
  }]
}))
export type CreatedCampaign = Static<typeof CreatedCampaign>

export const EnrollResult = component('EnrollResult', Type.Object({
  enrolled: Type.Integer(),
  totalMatching: Type.Integer(),
  leadsEnrolled: Type.Integer(),
  warning: Type.Optional(ref(EnrollmentWarning))
}, { examples: [{ enrolled: 3, totalMatching: 3, leadsEnrolled: 42 }] }))
export type EnrollResult = Static<typeof EnrollResult>

export const Preview = component('Preview', Type.Object({
  totalMatching: Type.Integer(),
  wouldEnroll: Type.Integer(),
  excluded: Type.Object({ optedOut: Type.Integer(), activeElsewhere: Type.Integer() }),
  sample: Type.Array(ref(Lead), { maxItems: 10, description: 'the first leads (at most 10, at most the cap) that would be enrolled, in cap order' })
}, { examples: [{ totalMatching: 2, wouldEnroll: 1, excluded: { optedOut: 0, activeElsewhere: 0 }, sample: [] }] }))
export type Preview = Static<typeof Preview>

export const ENROLLMENT_STATUSES = ['active', 'completed', 'stopped'] as const
export const EnrollmentStatus = StringEnum(ENROLLMENT_STATUSES)

export const Enrollment = component('Enrollment', Type.Object({
  leadId: Uuid,
  status: EnrollmentStatus,
  enrolledAt: Timestamp,
  completesAt: Timestamp,
  stopReason: Nullable(StringEnum(['opted_out', 'campaign_cancelled', 'replied', 'delivery_failed'], { description: 'why a stopped enrollment stopped' })),
  nextStep: Nullable(Type.Integer({ minimum: 0, description: 'index of the message that goes out next; null once ended' })),
  nextDueAt: Nullable(Timestamp)
}, {
  description: 'completesAt: when the last message is planned; it moves as messages go out.',
  examples: [{ leadId: '0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41', status: 'active', enrolledAt: '2026-11-25T14:05:00.000Z', completesAt: '2026-11-26T14:05:00.000Z', stopReason: null, nextStep: 1, nextDueAt: '2026-11-26T14:05:00.000Z' }]
}))
export type Enrollment = Static<typeof Enrollment>

export const CampaignPage = pageOf('CampaignPage', Campaign)
export const EnrollmentPage = pageOf('EnrollmentPage', Enrollment)

export const CampaignListQuery = Type.Object({
  ...ListQuery.properties,
  status: Type.Optional(CampaignStatus)
}, { additionalProperties: false })
export type CampaignListQuery = Static<typeof CampaignListQuery>

export const EnrollmentListQuery = Type.Object({
  ...ListQuery.properties,
  status: Type.Optional(EnrollmentStatus),
  leadId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: "only this lead's enrollment" }))
}, { additionalProperties: false })
export type EnrollmentListQuery = Static<typeof EnrollmentListQuery>
