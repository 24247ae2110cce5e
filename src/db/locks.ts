import { sql } from 'kysely'
import type { Queryable, Tx } from './database.js'

// Advisory locks keyed by a 64-bit hash of a namespaced id. One lock per client or per
// campaign, never per lead: thousands of per-lead locks exhaust the lock table.

/** Serialises, until the transaction ends, every write that decides which leads are enrolled for a client. */
export async function lockClient (tx: Tx, clientId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'client:' + clientId}, 0))`.execute(tx)
}

/** Session-level try-lock for "this campaign is being activated"; false when someone else holds it. */
export async function tryLockCampaign (db: Queryable, campaignId: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtextextended(${'campaign:' + campaignId}, 0)) as locked`.execute(db)
  return rows[0]?.locked === true
}

export async function unlockCampaign (db: Queryable, campaignId: string): Promise<void> {
  await sql`select pg_advisory_unlock(hashtextextended(${'campaign:' + campaignId}, 0))`.execute(db)
}
