import { type RawBuilder, sql } from 'kysely'
import type { Config } from '../config.js'
import type { Tx } from '../db/database.js'

/** graphile-worker task identifier of the Airtable mirror job. */
export const AIRTABLE_SYNC_TASK = 'airtable_sync'
/** Airtable accepts at most 10 records per update request; one job is one request. */
export const AIRTABLE_BATCH_SIZE = 10

/** Every sync job's key starts with its client's prefix, so the client's waiting jobs can be dropped. */
export const syncJobKeyPrefix = (clientId: string): string => `airtable-sync:${clientId}:`

/** What a sync job carries; the job reads the current state of these leads when it runs. */
export interface AirtableSyncPayload {
  clientId: string
  /** The campaign the batch was queued for (its job key and kept failure); null for leads never enrolled. */
  campaignId: string | null
  leadIds: string[]
  /** Attempts used before a 429 re-added the batch (see retryAfterPause in sync-task.ts). */
  priorAttempts?: number
}

/** The job key segment of a batch of leads never enrolled (only their `Opted Out` checkbox). */
export const LEADS_WITHOUT_CAMPAIGN = 'leads'

/**
 * The Airtable mirror of the given (campaign, lead) pairs, as the CTEs `airtable_pairs` ..
 * `airtable_queued` of a statement (a WITH list): the leads that have an airtable_record_id are
 * grouped per campaign into batches of at most 10 and handed to graphile_worker.add_jobs in one
 * call; `airtable_queued` has one row, `queued` (jobs added). It runs only if the statement reads
 * it. A null campaign is a lead never enrolled: its batches are grouped per client. Each batch has
 * a job key (campaign + its leads), so queuing the same batch again coalesces with a job that has
 * not started yet instead of adding a second one. A client without Airtable settings is not
 * mirrored: the join on its settings row (a primary-key probe per client) leaves its leads out.
 * Embedded in a write (a delivery result that completes enrollments), the write and its mirror
 * are one statement: one round trip, and a rollback leaves no job and a commit never loses one.
 * `clientId`, when every pair is of that client: a client without Airtable settings reads no
 * pairs at all (the statement a delivery claim or result runs for every batch; left to the join,
 * the planner may scan the client's leads for nothing).
 */
export function airtableSyncJobs (config: Config, pairs: RawBuilder<unknown>, clientId?: string): RawBuilder<unknown> {
  const mirrored = clientId === undefined
    ? pairs
    : sql`select campaign_id, lead_id from (${pairs}) p where exists (select 1 from client_airtable_settings s where s.client_id = ${clientId})`
  return sql`airtable_pairs as (${mirrored}), airtable_numbered as (
      select p.campaign_id, l.client_id, l.id as lead_id,
        (row_number() over (partition by l.client_id, p.campaign_id order by l.id) - 1) / ${AIRTABLE_BATCH_SIZE} as batch
      from airtable_pairs p
      join leads l on l.id = p.lead_id
      left join campaigns c on c.id = p.campaign_id
      join client_airtable_settings s on s.client_id = l.client_id
      -- a campaign named must be the lead's client's (a null one is a lead never enrolled)
      where l.airtable_record_id is not null and (p.campaign_id is null or c.client_id = l.client_id)
    ), airtable_batches as (
      select campaign_id, client_id, array_agg(lead_id order by lead_id) as lead_ids
      from airtable_numbered group by campaign_id, client_id, batch
    ), airtable_specs as (
      select array_agg(row(
        ${AIRTABLE_SYNC_TASK}::text,
        json_build_object('clientId', client_id, 'campaignId', campaign_id, 'leadIds', lead_ids),
        null::text, null::timestamptz, ${config.AIRTABLE_MAX_ATTEMPTS}::smallint,
        'airtable-sync:' || client_id || ':' || coalesce(campaign_id::text, ${LEADS_WITHOUT_CAMPAIGN}) || ':' || md5(array_to_string(lead_ids, ',')),
        null::smallint, null::text[]
      )::graphile_worker.job_spec) as specs
      from airtable_batches
    ), airtable_queued as (
      select count(job.id)::int as queued
      from airtable_specs specs cross join lateral graphile_worker.add_jobs(specs.specs, job_key_preserve_run_at => true) as job
      where specs.specs is not null
    )`
}

/** Queues the mirror of the given pairs inside the caller's transaction (see airtableSyncJobs). Returns the number of jobs queued. */
async function queueBatches (tx: Tx, config: Config, pairs: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ queued: number }>`with ${airtableSyncJobs(config, pairs)} select queued from airtable_queued`.execute(tx)
  return rows[0]?.queued ?? 0
}

/**
 * Several campaigns at once (opt-out stops enrollments in any campaign); one statement. A null
 * campaign (a kept failure of a lead never enrolled, queued again) mirrors the lead's current state.
 */
export async function queueAirtableSyncForEnrollments (tx: Tx, config: Config, enrollments: Array<{ campaignId: string | null, leadId: string }>): Promise<number> {
  if (enrollments.length === 0) return 0
  return await queueBatches(tx, config, sql`
    select distinct p.campaign_id, p.lead_id
    from unnest(${enrollments.map(e => e.campaignId)}::uuid[], ${enrollments.map(e => e.leadId)}::uuid[]) as p (campaign_id, lead_id)`)
}

/** The interface the enrollment engine, cancel and completion call: one campaign's leads. */
export async function queueAirtableSync (tx: Tx, config: Config, enrollments: { campaignId: string, leadIds: string[] }): Promise<number> {
  if (enrollments.leadIds.length === 0) return 0
  return await queueBatches(tx, config, sql`
    select distinct ${enrollments.campaignId}::uuid as campaign_id, lead_id
    from unnest(${enrollments.leadIds}::uuid[]) as lead_id`)
}

/**
 * The enrollments a cancel stopped in this transaction, queued without leaving PostgreSQL:
 * a campaign of a million leads never passes through the service's memory.
 */
export async function queueAirtableSyncForCancelledCampaign (tx: Tx, config: Config, campaignId: string): Promise<number> {
  return await queueBatches(tx, config, sql`
    select campaign_id, lead_id from enrollments
    where campaign_id = ${campaignId}::uuid and status = 'stopped' and ended_at = now()
      -- evaluated once (an InitPlan): without settings the enrollments are not even read
      and exists (select 1 from campaigns c join client_airtable_settings s on s.client_id = c.client_id where c.id = ${campaignId}::uuid)`)
}

/**
 * Leads whose opt-out changed (the `Opted Out` checkbox), whatever changed it (PATCH, import,
 * inbound STOP or START): each is queued with its latest enrollment, the record the sync writes
 * with the rest of its fields. A lead never enrolled is queued without a campaign: its job writes
 * the checkbox alone (or everything, if the lead has been enrolled by the time it runs, since
 * jobs read the state when they run).
 */
export async function queueAirtableSyncForLeads (tx: Tx, config: Config, clientId: string, leadIds: string[]): Promise<number> {
  if (leadIds.length === 0) return 0
  return await queueBatches(tx, config, sql`
    select e.campaign_id, x.lead_id
    from unnest(${leadIds}::uuid[]) as x (lead_id)
    left join lateral (
      select campaign_id from enrollments
      where lead_id = x.lead_id and client_id = ${clientId}
      order by enrolled_at desc, campaign_id desc limit 1
    ) e on true
    join leads l on l.id = x.lead_id and l.client_id = ${clientId}`)
}
