import Type, { type Static } from 'typebox'
import { ListQuery, Timestamp, Uuid } from '../http/schemas.js'

export const SyncFailure = Type.Object({
  id: Uuid,
  campaignId: Uuid,
  leadIds: Type.Array(Uuid, { description: 'the leads of the batch (at most 10, one Airtable request)' }),
  attempts: Type.Integer({ description: 'attempts made before the batch was kept as failed' }),
  lastError: Type.String({ description: 'why the last attempt failed, e.g. "Airtable answered 500 (SERVER_ERROR)"' }),
  failedAt: Timestamp
})
export type SyncFailure = Static<typeof SyncFailure>

export const SyncFailureListQuery = Type.Object({
  ...ListQuery.properties,
  campaignId: Type.Optional(Type.String({ format: 'uuid', description: 'only failures of this campaign' }))
}, { additionalProperties: false })
export type SyncFailureListQuery = Static<typeof SyncFailureListQuery>

export const SyncRetryResult = Type.Object({
  id: Uuid,
  jobsQueued: Type.Integer({ description: '1 when the batch was queued again; 0 when none of its leads has an Airtable record any more' })
})
export type SyncRetryResult = Static<typeof SyncRetryResult>
