import { sql, type Selectable } from 'kysely'
import type { Queryable, Tx } from '../db/database.js'
import type { ClientAirtableSettingsTable } from '../db/schema.js'
import type { AirtableSettings } from './settings-schemas.js'
import { AIRTABLE_SYNC_TASK, syncJobKeyPrefix } from './sync-queue.js'

export type SettingsRow = Selectable<ClientAirtableSettingsTable>

export function toAirtableSettings (row: SettingsRow): AirtableSettings {
  return { baseId: row.base_id, table: row.table_name, updatedAt: row.updated_at.toISOString() }
}

export async function upsertSettings (db: Queryable, row: Omit<SettingsRow, 'updated_at'>): Promise<SettingsRow> {
  return await db.insertInto('client_airtable_settings').values(row)
    .onConflict(oc => oc.column('client_id').doUpdateSet({
      base_id: row.base_id, table_name: row.table_name, api_key_ciphertext: row.api_key_ciphertext, key_id: row.key_id, updated_at: sql`now()`
    }))
    .returningAll().executeTakeFirstOrThrow()
}

export async function readSettings (db: Queryable, clientId: string): Promise<SettingsRow | undefined> {
  return await db.selectFrom('client_airtable_settings').selectAll().where('client_id', '=', clientId).executeTakeFirst()
}

export async function deleteSettings (tx: Tx, clientId: string): Promise<boolean> {
  const result = await tx.deleteFrom('client_airtable_settings').where('client_id', '=', clientId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * Removes the client's sync jobs that are waiting (not running), through graphile-worker's own
 * complete_jobs; their keys carry the client id. A running one, or an unkeyed follow-up, finds
 * no settings when it runs and ends as a no-op. Returns how many were dropped.
 */
export async function dropQueuedSyncJobs (tx: Tx, clientId: string): Promise<number> {
  const { rows } = await sql<{ dropped: number }>`
    select count(*)::int as dropped from graphile_worker.complete_jobs(array(
      select id from graphile_worker.jobs
      where task_identifier = ${AIRTABLE_SYNC_TASK} and key like ${syncJobKeyPrefix(clientId) + '%'} and locked_at is null
    ))`.execute(tx)
  return rows[0]?.dropped ?? 0
}

/** Settles the client's failures caused by its settings, returning their enrollments to queue again. */
export async function takeConfigurationFailures (tx: Tx, clientId: string): Promise<Array<{ campaignId: string | null, leadId: string }>> {
  const { rows } = await sql<{ campaignId: string | null, leadId: string }>`
    with taken as (
      update airtable_sync_failures set resolved_at = now()
      where client_id = ${clientId} and configuration and resolved_at is null
      returning campaign_id, lead_ids
    )
    select campaign_id as "campaignId", unnest(lead_ids) as "leadId" from taken`.execute(tx)
  return rows
}

/** Rows not under the current key, for re-encryption, a page at a time. */
export async function settingsNotUnderKey (db: Queryable, keyId: string, limit: number): Promise<SettingsRow[]> {
  return await db.selectFrom('client_airtable_settings').selectAll().where('key_id', '<>', keyId).orderBy('client_id').limit(limit).execute()
}

/** Writes re-encrypted keys, only where the row still holds the ciphertext that was read (a PUT in between wins). */
export async function replaceCiphertexts (db: Queryable, rows: Array<{ clientId: string, before: Buffer, ciphertext: Buffer, keyId: string }>): Promise<number> {
  if (rows.length === 0) return 0
  const result = await sql`
    update client_airtable_settings s set api_key_ciphertext = r.ciphertext, key_id = r.key_id
    from unnest(${rows.map(r => r.clientId)}::uuid[], ${rows.map(r => r.before)}::bytea[], ${rows.map(r => r.ciphertext)}::bytea[], ${rows.map(r => r.keyId)}::text[])
      as r (client_id, before, ciphertext, key_id)
    where s.client_id = r.client_id and s.api_key_ciphertext = r.before`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
