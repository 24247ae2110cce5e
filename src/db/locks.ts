import { type RawBuilder, sql } from 'kysely'
import type { Tx } from './database.js'

// Advisory locks keyed by a 64-bit hash (hashtextextended(key, 0)) of a namespaced id. One lock
// per client or per campaign, never per lead: thousands of per-lead locks exhaust the lock table.
// The migrations' triggers spell the client key in SQL ('client:' || client_id::text): they may
// not import this module, so test/db/lock-keys.test.ts checks their text against it.
export const CLIENT_LOCK_PREFIX = 'client:'
export const CAMPAIGN_LOCK_PREFIX = 'campaign:'
export const clientLockKey = (clientId: string): string => CLIENT_LOCK_PREFIX + clientId
export const campaignLockKey = (campaignId: string): string => CAMPAIGN_LOCK_PREFIX + campaignId

/** Serialises, until the transaction ends, every write that decides which leads are enrolled for a client. */
export async function lockClient (tx: Tx, clientId: string): Promise<void> {
  await sql`select ${clientLock(clientId)}`.execute(tx)
}

/** lockClient's call, to take the lock in a statement that does more in the same round trip. */
export const clientLock = (clientId: string): RawBuilder<unknown> => sql`pg_advisory_xact_lock(hashtextextended(${clientLockKey(clientId)}, 0))`
