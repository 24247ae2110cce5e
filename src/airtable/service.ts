import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { notFound, serviceUnavailable } from '../http/problem.js'
import { takeSyncFailure } from './repository.js'
import type { SyncRetryResult } from './schemas.js'
import { queueAirtableSync } from './sync-queue.js'

/** Puts a failed batch back on the queue (fresh attempts); the failure row goes in the same transaction. */
export async function retrySyncFailure ({ db, config }: { db: Database, config: Config }, clientId: string, id: string): Promise<SyncRetryResult> {
  if (!config.airtableConfigured) throw serviceUnavailable('Airtable sync is not configured (AIRTABLE_API_KEY and AIRTABLE_BASE_ID)')
  return await db.transaction().execute(async tx => {
    const failure = await takeSyncFailure(tx, clientId, id)
    if (failure === undefined) throw notFound('sync failure')
    const jobsQueued = await queueAirtableSync(tx, config, { campaignId: failure.campaign_id, leadIds: failure.lead_ids })
    return { id, jobsQueued }
  })
}
