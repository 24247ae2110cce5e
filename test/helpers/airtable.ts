import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Test } from 'tap'
import { queueAirtableSync } from '../../src/airtable/sync-queue.js'
import type { EnrollmentStatus } from '../../src/db/schema.js'
import { startAirtableStandIn, type AirtableStandIn } from '../stand-ins/airtable.js'
import { ADMIN_KEY, type TestApp } from './app.js'

export const AIRTABLE_KEY = 'pat-test-airtable-key'

/** A stand-in closed when the test ends, and the env that points the service at it. */
export async function airtableStandIn (t: Test, apiKeys = [AIRTABLE_KEY]): Promise<AirtableStandIn> {
  const standIn = await startAirtableStandIn({ apiKeys })
  t.teardown(standIn.close)
  return standIn
}

/** SECRETS_KEY of the test apps (32 bytes, base64). */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64')

/** Env for an app that syncs to the stand-in (each client still needs its settings: airtableClient). */
export function airtableEnv (standIn: AirtableStandIn, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    SECRETS_KEY: TEST_SECRETS_KEY,
    AIRTABLE_ENDPOINT_URL: standIn.url,
    AIRTABLE_TIMEOUT_MS: '2000',
    WORKER_POLL_INTERVAL_MS: '100',
    ...overrides
  }
}

/**
 * A base id of Airtable's shape, random per call, so the Redis keys of its rate limiter
 * (airtable:rate:<base>, airtable:pause:<base>) are this test's own.
 */
export const randomBaseId = (): string => `app${randomBytes(7).toString('hex')}`

export interface AirtableSettingsBody { apiKey: string, baseId: string, table: string }

/** PUT /v1/admin/clients/{clientId}/airtable; throws unless 200. */
export async function configureAirtable (app: TestApp, clientId: string, settings: Partial<AirtableSettingsBody> = {}): Promise<AirtableSettingsBody> {
  const body = { apiKey: AIRTABLE_KEY, baseId: randomBaseId(), table: 'Leads', ...settings }
  const response = await app.api.inject({ method: 'PUT', url: `/v1/admin/clients/${clientId}/airtable`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: body })
  if (response.statusCode !== 200) throw new Error(`setting Airtable failed: ${response.statusCode} ${response.body}`)
  return body
}

/** A client (through the admin API) that mirrors into its own random base of the stand-in. */
export async function airtableClient (app: TestApp, name?: string, settings: Partial<AirtableSettingsBody> = {}): Promise<Awaited<ReturnType<TestApp['createClient']>> & { baseId: string }> {
  const client = await app.createClient(name)
  const { baseId } = await configureAirtable(app, client.id, settings)
  return { ...client, baseId }
}

export interface SeededCampaign {
  campaignId: string
  leadIds: string[]
  /** Airtable record id per lead id, for the leads that have one. */
  recordIds: Map<string, string>
  queued: number
}

/**
 * Inserts a campaign, `leads` leads (the first `withRecord` with an Airtable record id) and
 * their enrollments with SQL, and queues the sync in the same transaction, as the enrollment
 * engine does. `rollback` throws after queueing so the transaction is rolled back.
 */
export async function seedEnrollments (app: TestApp, clientId: string, options: { leads: number, withRecord?: number, name?: string, status?: EnrollmentStatus, rollback?: boolean }): Promise<SeededCampaign> {
  const withRecord = options.withRecord ?? options.leads
  let seeded: SeededCampaign | undefined
  const work = app.ctx.db.transaction().execute(async tx => {
    const { rows: [campaign] } = await sql<{ id: string }>`
      insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes, activated_at)
      values (${clientId}, ${options.name ?? 'Spring nurture'}, 'active', '{}', '[{"body":"Hi","delayMinutes":60}]', 60, now())
      returning id`.execute(tx)
    if (campaign === undefined) throw new Error('no campaign')
    const tag = randomBytes(4).toString('hex')
    const { rows: leads } = await sql<{ id: string, airtable_record_id: string | null }>`
      insert into leads (client_id, external_id, first_name, airtable_record_id)
      select ${clientId}, ${tag} || '-' || g, 'Lead ' || g, case when g <= ${withRecord} then 'rec' || ${tag} || lpad(g::text, 6, '0') end
      from generate_series(1, ${options.leads}::int) g
      returning id, airtable_record_id`.execute(tx)
    await sql`
      insert into enrollments (campaign_id, lead_id, client_id, status, enrolled_at, completes_at)
      select ${campaign.id}, id, ${clientId}, ${options.status ?? 'active'}, now(), now() + interval '1 hour'
      from unnest(${leads.map(l => l.id)}::uuid[]) as id`.execute(tx)
    const leadIds = leads.map(l => l.id)
    const queued = await queueAirtableSync(tx, app.config, { campaignId: campaign.id, leadIds })
    seeded = { campaignId: campaign.id, leadIds, recordIds: new Map(leads.filter(l => l.airtable_record_id !== null).map(l => [l.id, l.airtable_record_id as string])), queued }
    if (options.rollback === true) throw new RolledBack()
  })
  await work.catch((error: unknown) => { if (!(error instanceof RolledBack)) throw error })
  if (seeded === undefined) throw new Error('nothing seeded')
  return seeded
}

class RolledBack extends Error {}

export interface SyncJobRow {
  id: string
  payload: { clientId: string, campaignId: string, leadIds: string[], priorAttempts?: number }
  key: string | null
  run_at: Date
  attempts: number
  max_attempts: number
  last_error: string | null
  locked_at: Date | null
}

/** The Airtable sync jobs in graphile-worker's table, as the database sees them now. */
export async function syncJobs (app: TestApp): Promise<SyncJobRow[]> {
  const { rows } = await app.ctx.pool.query<SyncJobRow>(`
    select j.id, j.payload, j.key, j.run_at, j.attempts, j.max_attempts, j.last_error, j.locked_at
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = 'airtable_sync' order by j.id`)
  return rows
}

/** Polls `check` every 100 ms until it returns true; fails after `timeoutMs`. */
export async function eventually (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** A metric's value from the internal listener's /metrics, 0 when absent. */
export async function metricValue (app: TestApp, name: string, labels = ''): Promise<number> {
  const body = (await app.internal.inject({ method: 'GET', url: '/metrics' })).body
  const line = body.split('\n').find(l => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}
