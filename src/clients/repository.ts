import type { Database, Queryable } from '../db/database.js'
import { sql } from 'kysely'
import { generateApiKey } from '../auth/secrets.js'

export interface CreatedClient {
  id: string
  name: string
  createdAt: Date
  apiKey: string
  /** The first key's id, to revoke it later. */
  apiKeyId: string
}

export async function createClientWithKey (db: Database, name: string): Promise<CreatedClient> {
  return await db.transaction().execute(async tx => {
    const client = await tx.insertInto('clients').values({ name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow()
    const key = await insertApiKey(tx, client.id)
    return { id: client.id, name: client.name, createdAt: client.created_at, apiKey: key.apiKey, apiKeyId: key.id }
  })
}

export async function clientExists (db: Queryable, clientId: string): Promise<boolean> {
  return (await db.selectFrom('clients').select('id').where('id', '=', clientId).executeTakeFirst()) !== undefined
}

export async function insertApiKey (db: Queryable, clientId: string): Promise<{ id: string, apiKey: string }> {
  const key = generateApiKey()
  const row = await db.insertInto('api_keys')
    .values({ client_id: clientId, key_hash: key.hash, key_prefix: key.prefix })
    .returning('id').executeTakeFirstOrThrow()
  return { id: row.id, apiKey: key.token }
}

/**
 * Revokes a key (revoking twice is harmless; the first time stands) and returns its hash, or
 * undefined when the key does not exist for that client.
 */
export async function revokeApiKey (db: Queryable, clientId: string, keyId: string): Promise<Buffer | undefined> {
  const row = await db.updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', keyId).where('client_id', '=', clientId)
    .returning('key_hash')
    .executeTakeFirst()
  return row?.key_hash
}

/** The client a live (not revoked) key belongs to; the lookup is by hash, never by token. */
export async function clientIdForKeyHash (db: Queryable, keyHash: Buffer): Promise<string | undefined> {
  const row = await db.selectFrom('api_keys').select('client_id')
    .where('key_hash', '=', keyHash).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row?.client_id
}
