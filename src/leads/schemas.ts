import Type, { type Static } from 'typebox'
import { TimeZone } from '../delivery/send-window.js'
import { ListQuery, NonBlank, Nullable, Timestamp, Uuid } from '../http/schemas.js'

export const EngagementLevel = Type.Enum(['high', 'medium', 'low'])
// One enum including null, so a bad value is reported as "must be one of ..." rather than a union mismatch.
const NullableEngagement = Type.Unsafe<'high' | 'medium' | 'low' | null>({ enum: ['high', 'medium', 'low', null] })
// Source systems repeat tags now and then; a repeat is dropped (first place kept), not refused.
const Tags = Type.Array(NonBlank({ maxLength: 100 }), { maxItems: 100, description: 'repeats are dropped; together at most 1200 bytes of UTF-8' })
const IcpScore = Nullable(Type.Integer({ minimum: 0, maximum: 100 }))
const Name = NonBlank({ maxLength: 200 })
const OptionalText = Nullable(Type.String({ maxLength: 320 }))

export const Lead = Type.Object({
  id: Uuid,
  externalId: Type.String(),
  firstName: Type.String(),
  lastName: Nullable(Type.String()),
  phone: Nullable(Type.String({ description: 'E.164' })),
  email: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  engagementLevel: Nullable(EngagementLevel),
  icpScore: Nullable(Type.Integer()),
  optedOut: Type.Boolean(),
  optedOutAt: Nullable(Timestamp),
  optOutSource: Nullable(Type.Enum(['api', 'inbound'], { description: 'api: set through the API; inbound: a STOP keyword. Both cleared when the lead opts back in' })),
  airtableRecordId: Nullable(Type.String()),
  timezone: Nullable(Type.String({ description: "IANA name: the campaigns' send windows are read in it" })),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Lead = Static<typeof Lead>

// The editable fields, shared by the bulk import item and PATCH.
const EditableFields = {
  lastName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 32, description: 'E.164, or a national number of DEFAULT_PHONE_REGION; stored and returned as E.164' }))),
  email: Type.Optional(OptionalText),
  tags: Type.Optional(Tags),
  engagementLevel: Type.Optional(NullableEngagement),
  icpScore: Type.Optional(IcpScore),
  optedOut: Type.Optional(Type.Boolean()),
  airtableRecordId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  timezone: Type.Optional(Nullable(TimeZone))
}

export const LeadInput = Type.Object({
  externalId: NonBlank({ maxLength: 200 }),
  firstName: Name,
  ...EditableFields,
  createdAt: Type.Optional(Type.String({ format: 'date-time', description: "the lead's creation time in the source system" }))
}, { additionalProperties: false })
export type LeadInput = Static<typeof LeadInput>

export const BULK_MAX = 5000
export const BulkLeadsBody = Type.Object({
  leads: Type.Array(LeadInput, { minItems: 1, maxItems: BULK_MAX })
}, { additionalProperties: false })
export type BulkLeadsBody = Static<typeof BulkLeadsBody>

export const BulkLeadsResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer({ description: 'known leads with at least one field changed' }),
  unchanged: Type.Integer({ description: 'known leads sent with the values they already had: not written, updatedAt kept' })
})
export type BulkLeadsResult = Static<typeof BulkLeadsResult>

export const LeadPatch = Type.Object({
  firstName: Type.Optional(Name),
  ...EditableFields
}, { additionalProperties: false, minProperties: 1 })
export type LeadPatch = Static<typeof LeadPatch>

export const LeadListQuery = Type.Object({
  ...ListQuery.properties,
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'only leads carrying this tag' }))
}, { additionalProperties: false })
export type LeadListQuery = Static<typeof LeadListQuery>
