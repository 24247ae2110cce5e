import { type RawBuilder, sql } from 'kysely'
import type { Tx } from './database.js'

// Advisory locks keyed by a 64-bit hash of a namespaced id. One lock per client or per
// campaign, never per lead: thousands of per-lead locks exhaust the lock table.

/** Serialises, until the transaction ends, every write that decides which leads are enrolled for a client. */
export async function lockClient (tx: Tx, clientId: string): Promise<void> {
  await sql`select ${clientLock(clientId)}`.execute(tx)
}

/** lockClient's call, to take the lock in a statement that does more in the same round trip. */
export const clientLock = (clientId: string): RawBuilder<unknown> => sql`pg_advisory_xact_lock(hashtextextended(${'client:' + clientId}, 0))`
