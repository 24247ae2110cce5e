import Type, { type Static } from 'typebox'
import { component } from '../http/openapi.js'
import { ListQuery, Nullable, Timestamp, Uuid, pageOf } from '../http/schemas.js'

export const SyncFailure = component('SyncFailure', Type.Object({
  id: Uuid,
  campaignId: Nullable(Type.String({ format: 'uuid', maxLength: 36, description: 'the campaign the batch mirrored; null for leads never enrolled, whose `Opted Out` checkbox alone was mirrored' })),
  leadIds: Type.Array(Uuid, { description: 'the leads of the batch (at most 10, one Airtable request)' }),
  attempts: Type.Integer({ description: 'attempts made before the batch was kept as failed' }),
  lastError: Type.String({ description: 'why the last attempt failed, e.g. "Airtable answered 500 (SERVER_ERROR)"' }),
  failedAt: Timestamp
}, {
  examples: [{ id: '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b', campaignId: '3d7f1c2e-8b4a-4f6e-9a0d-5c2b1e7f9a10', leadIds: ['0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41'], attempts: 8, lastError: 'Airtable answered 500 (SERVER_ERROR)', failedAt: '2026-11-25T15:00:00.000Z' }]
}))
export const SyncFailurePage = pageOf('SyncFailurePage', SyncFailure)
export type SyncFailure = Static<typeof SyncFailure>

export const SyncFailureListQuery = Type.Object({
  ...ListQuery.properties,
  campaignId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'only failures of this campaign' }))
}, { additionalProperties: false })
export type SyncFailureListQuery = Static<typeof SyncFailureListQuery>

export const SyncRetryResult = component('SyncRetryResult', Type.Object({
  id: Uuid,
  jobsQueued: Type.Integer({ description: '1 when the batch was queued again; 0 when none of its leads has an Airtable record any more' })
}, { examples: [{ id: '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b', jobsQueued: 1 }] }))
export type SyncRetryResult = Static<typeof SyncRetryResult>
