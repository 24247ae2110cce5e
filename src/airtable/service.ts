import type { Database } from '../db/database.js'
import type { Config } from '../config.js'
import { notFound, serviceUnavailable } from '../http/problem.js'
import { takeSyncFailure } from './repository.js'
import { readSettings } from './settings-repository.js'
import type { SyncRetryResult } from './schemas.js'
import { queueAirtableSyncForEnrollments } from './sync-queue.js'

/** Puts a failed batch back on the queue (fresh attempts); the failure row goes in the same transaction. */
export async function retrySyncFailure ({ db, config }: { db: Database, config: Config }, clientId: string, id: string): Promise<SyncRetryResult> {
  return await db.transaction().execute(async tx => {
    // Without settings nothing would be queued, and the failure would be settled for nothing.
    if (await readSettings(tx, clientId) === undefined) throw serviceUnavailable('Airtable is not set up for this client: an operator sets its base, table and key with PUT /v1/admin/clients/{clientId}/airtable')
    const failure = await takeSyncFailure(tx, clientId, id)
    if (failure === undefined) throw notFound('sync failure')
    const jobsQueued = await queueAirtableSyncForEnrollments(tx, config, failure.lead_ids.map(leadId => ({ campaignId: failure.campaign_id, leadId })))
    return { id, jobsQueued }
  })
}
