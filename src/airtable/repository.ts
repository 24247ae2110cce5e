import { type Selectable, sql } from 'kysely'
import type { Queryable, Tx } from '../db/database.js'
import type { AirtableSyncFailuresTable, EnrollmentStatus } from '../db/schema.js'
import type { SyncFailure } from './schemas.js'
import { AIRTABLE_SYNC_TASK, type AirtableSyncPayload } from './sync-queue.js'
import { afterCursor } from '../db/pagination.js'

export type SyncFailureRow = Selectable<AirtableSyncFailuresTable>

export function toSyncFailure (row: SyncFailureRow): SyncFailure {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    leadIds: row.lead_ids,
    attempts: row.attempts,
    lastError: row.last_error,
    failedAt: row.failed_at.toISOString()
  }
}

export interface LeadSyncState {
  leadId: string
  recordId: string
  /** The lead's latest enrollment; null for a lead never enrolled (only `Opted Out` is written). */
  campaignName: string | null
  status: EnrollmentStatus | null
  enrolledAt: Date | null
  optedOut: boolean
}

/**
 * What Airtable should show for each lead now: its latest enrollment in any campaign (a lead
 * has one Airtable record, and a later campaign supersedes an earlier one), or none yet, and its
 * opt-out. Reading the current state, not the state when the job was queued, makes a replayed or
 * late job write the same fields as a fresh one, whatever order jobs run in.
 */
export async function readLeadSyncState (db: Queryable, clientId: string, leadIds: string[]): Promise<LeadSyncState[]> {
  const { rows } = await sql<LeadSyncState>`
    select l.id as "leadId", l.airtable_record_id as "recordId", c.name as "campaignName", e.status, e.enrolled_at as "enrolledAt",
      l.opted_out as "optedOut"
    from leads l
    left join lateral (
      select campaign_id, status, enrolled_at from enrollments
      where lead_id = l.id order by enrolled_at desc, campaign_id desc limit 1
    ) e on true
    left join campaigns c on c.id = e.campaign_id
    where l.id = any(${leadIds}::uuid[]) and l.client_id = ${clientId} and l.airtable_record_id is not null
    order by l.id`.execute(db)
  return rows
}

/**
 * A batch that used its last attempt (or that the client's settings failed) is kept, never
 * dropped, until retried or superseded. Its campaign must still be the client's (a deleted one
 * takes its failures with it); a batch of leads never enrolled is kept without one.
 */
export async function insertSyncFailure (db: Queryable, job: AirtableSyncPayload, attempts: number, lastError: string, configuration = false): Promise<void> {
  await sql`
    insert into airtable_sync_failures (client_id, campaign_id, lead_ids, attempts, last_error, configuration)
    select cl.id, c.id, ${job.leadIds}::uuid[], ${attempts}, ${lastError}, ${configuration}
    from clients cl left join campaigns c on c.id = ${job.campaignId}::uuid and c.client_id = cl.id
    where cl.id = ${job.clientId}::uuid and (${job.campaignId}::uuid is null or c.id is not null)`.execute(db)
}

/** Failures whose every lead has just been written are settled. */
export async function resolveSyncFailures (db: Queryable, clientId: string, syncedLeadIds: string[]): Promise<void> {
  await sql`
    update airtable_sync_failures set resolved_at = now()
    where client_id = ${clientId} and resolved_at is null and lead_ids <@ ${syncedLeadIds}::uuid[]`.execute(db)
}

/** Settled failures older than a day go: by then no page cursor should still name them. */
export async function purgeResolvedSyncFailures (db: Queryable): Promise<number> {
  const result = await sql`delete from airtable_sync_failures where resolved_at < now() - interval '24 hours'`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

export async function listSyncFailures (db: Queryable, clientId: string, options: { limit: number, cursor?: string, campaignId?: string }): Promise<SyncFailureRow[]> {
  let query = db.selectFrom('airtable_sync_failures').selectAll().where('client_id', '=', clientId).where('resolved_at', 'is', null)
  if (options.campaignId !== undefined) query = query.where('campaign_id', '=', options.campaignId)
  if (options.cursor !== undefined) query = query.where(afterCursor('airtable_sync_failures', 'failed_at', options.cursor, clientId))
  return await query.orderBy('failed_at').orderBy('id').limit(options.limit + 1).execute()
}

/** Settles a failure to re-queue it; undefined when it is not this client's (or already settled). */
export async function takeSyncFailure (tx: Tx, clientId: string, id: string): Promise<SyncFailureRow | undefined> {
  return await tx.updateTable('airtable_sync_failures').set({ resolved_at: new Date() })
    .where('client_id', '=', clientId).where('id', '=', id).where('resolved_at', 'is', null)
    .returningAll().executeTakeFirst()
}

export type QueueDepth = { ready: number, delayed: number, running: number }

/** Sync jobs still to do (permanently failed ones excluded): due now, waiting for a retry, running. */
export async function countSyncJobs (db: Queryable): Promise<QueueDepth> {
  const { rows } = await sql<QueueDepth>`
    select
      count(*) filter (where locked_at is null and run_at <= now())::int as ready,
      count(*) filter (where locked_at is null and run_at > now())::int as delayed,
      count(*) filter (where locked_at is not null)::int as running
    from graphile_worker.jobs
    where task_identifier = ${AIRTABLE_SYNC_TASK} and (locked_at is not null or attempts < max_attempts)`.execute(db)
  return rows[0] ?? { ready: 0, delayed: 0, running: 0 }
}

export async function countSyncFailures (db: Queryable): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from airtable_sync_failures where resolved_at is null`.execute(db)
  return rows[0]?.n ?? 0
}
