import Type, { type Static } from 'typebox'
import { TimeZone } from '../delivery/send-window.js'
import { component, ref } from '../http/openapi.js'
import { DateTimeInput, ListQuery, NonBlank, Nullable, StringEnum, Timestamp, Uuid, pageOf } from '../http/schemas.js'

export const EngagementLevel = StringEnum(['high', 'medium', 'low'])
// One enum including null, so a bad value is reported as "must be one of ..." rather than a union mismatch.
const NullableEngagement = Type.Unsafe<'high' | 'medium' | 'low' | null>({ type: ['string', 'null'], enum: ['high', 'medium', 'low', null] })
// Source systems repeat tags now and then; a repeat is dropped (first place kept), not refused.
const Tags = Type.Array(NonBlank({ maxLength: 100 }), { maxItems: 100, description: 'repeats are dropped; together at most 1200 bytes of UTF-8' })
const IcpScore = Nullable(Type.Integer({ format: 'int32', minimum: 0, maximum: 100 }))
const Name = NonBlank({ maxLength: 200 })
const OptionalText = Nullable(Type.String({ maxLength: 320 }))

const ANN = {
  id: '0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41', externalId: 'k-1', firstName: 'Ann', lastName: 'Lee', phone: '+14155550100', email: 'ann@example.com',
  tags: ['vip', 'kajabi'], engagementLevel: 'high', icpScore: 92, optedOut: false, optedOutAt: null, optOutSource: null, airtableRecordId: null, timezone: 'America/New_York',
  createdAt: '2026-11-20T09:30:00.000Z', updatedAt: '2026-11-25T14:02:11.000Z'
}

export const Lead = component('Lead', Type.Object({
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
  optOutSource: Nullable(StringEnum(['api', 'inbound'], { description: 'api: set through the API; inbound: a STOP keyword. Both cleared when the lead opts back in' })),
  airtableRecordId: Nullable(Type.String()),
  timezone: Nullable(Type.String({ description: "IANA name: the campaigns' send windows are read in it" })),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { examples: [ANN] }))
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

export const LeadInput = component('LeadInput', Type.Object({
  externalId: NonBlank({ maxLength: 200, description: "the lead's id in the source system: the import upserts by it" }),
  firstName: Name,
  ...EditableFields,
  createdAt: Type.Optional(DateTimeInput("the lead's creation time in the source system"))
}, { additionalProperties: false, examples: [{ externalId: 'k-1', firstName: 'Ann', lastName: 'Lee', phone: '+14155550100', tags: ['vip', 'kajabi'], engagementLevel: 'high', icpScore: 92 }] }))
export type LeadInput = Static<typeof LeadInput>

export const BULK_MAX = 5000
export const BulkLeadsBody = component('LeadImport', Type.Object({
  leads: Type.Array(ref(LeadInput), { minItems: 1, maxItems: BULK_MAX })
}, {
  additionalProperties: false,
  examples: [{ leads: [
    { externalId: 'k-1', firstName: 'Ann', lastName: 'Lee', phone: '+14155550100', tags: ['vip', 'kajabi'], engagementLevel: 'high', icpScore: 92 },
    { externalId: 'k-2', firstName: 'Bob', tags: ['vip'], icpScore: 40 }
  ] }]
}))
export type BulkLeadsBody = Static<typeof BulkLeadsBody>

export const BulkLeadsResult = component('LeadImportResult', Type.Object({
  created: Type.Integer(),
  updated: Type.Integer({ description: 'known leads with at least one field changed' }),
  unchanged: Type.Integer({ description: 'known leads sent with the values they already had: not written, updatedAt kept' })
}, { examples: [{ created: 2, updated: 0, unchanged: 0 }] }))
export type BulkLeadsResult = Static<typeof BulkLeadsResult>

export const LeadPatch = component('LeadPatch', Type.Object({
  firstName: Type.Optional(Name),
  ...EditableFields
}, { additionalProperties: false, minProperties: 1, description: 'the fields to change; opting out stops active enrollments', examples: [{ tags: ['vip', 'webinar'], optedOut: true }] }))
export type LeadPatch = Static<typeof LeadPatch>

export const LeadPage = pageOf('LeadPage', Lead)

export const LeadListQuery = Type.Object({
  ...ListQuery.properties,
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'only leads carrying this tag' }))
}, { additionalProperties: false })
export type LeadListQuery = Static<typeof LeadListQuery>
