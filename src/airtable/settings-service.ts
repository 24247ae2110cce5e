import type { AppContext } from '../context.js'
import { clientExists } from '../clients/repository.js'
import type { Database, Queryable } from '../db/database.js'
import { notFound, serviceUnavailable } from '../http/problem.js'
import type { SecretBox } from '../secrets/secret-box.js'
import { airtableMetrics } from './metrics.js'
import { deleteSettings, dropQueuedSyncJobs, readSettings, replaceCiphertexts, settingsNotUnderKey, takeConfigurationFailures, toAirtableSettings, upsertSettings } from './settings-repository.js'
import type { AirtableSettings, AirtableSettingsInput } from './settings-schemas.js'
import { queueAirtableSyncForEnrollments } from './sync-queue.js'

type Deps = Pick<AppContext, 'db' | 'config' | 'secrets' | 'metrics'>

/** What a sync attempt needs: the client's base, table and decrypted key. */
export interface ClientAirtable {
  baseId: string
  table: string
  apiKey: string
}

/** GCM additional data: a ciphertext only opens for the client it was stored for. */
const aad = (clientId: string): string => `client-airtable:${clientId}`

function requireSecrets (secrets: SecretBox | undefined): SecretBox {
  if (secrets === undefined) throw serviceUnavailable('SECRETS_KEY is not set, so credentials cannot be stored encrypted: set SECRETS_KEY (32 random bytes, base64: openssl rand -base64 32) and restart', 'secrets-key-missing')
  return secrets
}

/**
 * Stores (or replaces) a client's settings. Failures its old settings caused are queued again in
 * the same transaction; jobs already waiting read the new settings on their next attempt.
 */
export async function putAirtableSettings (deps: Pick<Deps, 'db' | 'config' | 'secrets'>, clientId: string, input: AirtableSettingsInput): Promise<AirtableSettings> {
  const sealed = requireSecrets(deps.secrets).seal(input.apiKey, aad(clientId))
  return await deps.db.transaction().execute(async tx => {
    if (!await clientExists(tx, clientId)) throw notFound('client')
    const row = await upsertSettings(tx, { client_id: clientId, base_id: input.baseId, table_name: input.table, api_key_ciphertext: sealed.ciphertext, key_id: sealed.keyId })
    await queueAirtableSyncForEnrollments(tx, deps.config, await takeConfigurationFailures(tx, clientId))
    return toAirtableSettings(row)
  })
}

export async function getAirtableSettings (db: Queryable, clientId: string): Promise<AirtableSettings> {
  const row = await readSettings(db, clientId)
  if (row === undefined) throw notFound(await clientExists(db, clientId) ? 'Airtable settings' : 'client')
  return toAirtableSettings(row)
}

/** Stops the client's mirror: its settings go, and so do its waiting jobs (counted). */
export async function deleteAirtableSettings (deps: Deps, clientId: string): Promise<void> {
  const dropped = await deps.db.transaction().execute(async tx => {
    if (!await deleteSettings(tx, clientId)) throw notFound(await clientExists(tx, clientId) ? 'Airtable settings' : 'client')
    return await dropQueuedSyncJobs(tx, clientId)
  })
  airtableMetrics(deps).jobsDropped.inc({ reason: 'settings_deleted' }, dropped)
}

/** Thrown when stored settings cannot be read back: a configuration problem, never the key itself. */
export class SettingsUnreadableError extends Error {
  override name = 'SettingsUnreadableError'
}

/** The client's settings as of now (read per attempt), or undefined when it has none. */
export async function clientAirtable (deps: Pick<Deps, 'db' | 'secrets'>, clientId: string): Promise<ClientAirtable | undefined> {
  const row = await readSettings(deps.db, clientId)
  if (row === undefined) return undefined
  if (deps.secrets === undefined) throw new SettingsUnreadableError('the client\'s Airtable key cannot be decrypted: SECRETS_KEY is not set on this process')
  try {
    return { baseId: row.base_id, table: row.table_name, apiKey: deps.secrets.open({ keyId: row.key_id, ciphertext: row.api_key_ciphertext }, aad(clientId)) }
  } catch (error) {
    throw new SettingsUnreadableError(`the client's Airtable key cannot be decrypted: ${error instanceof Error ? error.message : 'unknown error'}`)
  }
}

/**
 * Rotation: every stored key not under the current SECRETS_KEY (so under SECRETS_KEY_PREVIOUS)
 * is decrypted and sealed again under the current one, a page per statement. A row that a PUT
 * replaced meanwhile is left to the PUT. Returns how many were re-encrypted.
 */
export async function reencryptAirtableKeys (db: Database, secrets: SecretBox, pageSize = 200): Promise<number> {
  let total = 0
  for (;;) {
    const rows = await settingsNotUnderKey(db, secrets.currentKeyId, pageSize)
    if (rows.length === 0) return total
    const sealed = rows.map(row => {
      const apiKey = secrets.open({ keyId: row.key_id, ciphertext: row.api_key_ciphertext }, aad(row.client_id))
      return { clientId: row.client_id, before: row.api_key_ciphertext, ...secrets.seal(apiKey, aad(row.client_id)) }
    })
    total += await replaceCiphertexts(db, sealed)
  }
}
