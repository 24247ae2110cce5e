import { sql } from 'kysely'
import { airtableSyncJobs } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { executePrepared } from '../db/reusable.js'
import { advanceEnrollments } from './advance.js'
import type { BatchResultItem, BatchResults } from './schemas.js'

/** The 5th failed attempt is final, whatever the sender says about retrying. */
export const MAX_ATTEMPTS = 5

type Action = 'sent' | 'late_sent' | 'retry' | 'fail' | 'unchanged' | 'conflict'

export interface AppliedResults extends BatchResults {
  /** Per applied outcome, for the metrics. */
  sent: number
  retried: number
  failedFinal: number
}

/**
 * What a result does, by the delivery's state (SQL over `cur`). A leased delivery (lease live or
 * not: the message did go out) takes any result; one pending again after a retryable failure
 * takes `sent` (a late report of an earlier attempt) and repeats of `failed`. A final delivery
 * takes only the same outcome again (nothing changes). One skipped after it was handed out (stale,
 * or its enrollment stopped) records a late `sent` without moving the enrollment.
 */
const ACTION = sql`case
  when cur.status in ('leased', 'pending') and cur.attempts > 0 and cur.outcome = 'sent' then 'sent'
  when cur.status = 'leased' and cur.outcome = 'failed' and cur.retryable and cur.attempts < ${MAX_ATTEMPTS} then 'retry'
  when cur.status = 'leased' and cur.outcome = 'failed' then 'fail'
  when cur.status = 'pending' and cur.attempts > 0 and cur.outcome = 'failed' then 'unchanged'
  when cur.status = cur.outcome then 'unchanged'
  when cur.status = 'skipped' and cur.attempts > 0 and cur.outcome = 'sent' then 'late_sent'
  when cur.status = 'skipped' and cur.attempts > 0 and cur.outcome = 'failed' then 'unchanged'
  else 'conflict' end`

function conflictDetail (status: string, attempts: number, outcome: string): string {
  if (attempts === 0) return `this delivery was never handed out (it is ${status}); only a claimed delivery takes a result`
  return `this delivery is already ${status}; a ${outcome} result cannot replace that`
}

/**
 * Applies senders' results in one statement (its own transaction): the enrollments concerned are
 * row-locked first, in key order (as stops lock them, so the two never deadlock), then the
 * deliveries (FOR UPDATE: a lock that waited reads the row as the other transaction left it), and
 * every result is applied and the enrollments moved on (sent: the next message is scheduled, or
 * the enrollment completes; final failure: stopped, delivery_failed). Retryable failures are due
 * again after 1, 2, 4, 8 minutes. Another client's delivery is not found. The Airtable mirror of
 * enrollments that ended is queued by the same statement.
 */
export async function applyResults (db: Database, config: Config, clientId: string, items: BatchResultItem[]): Promise<AppliedResults> {
  // One result per id; a repeat within the batch is unchanged when it says the same, else a conflict.
  const first = new Map<string, BatchResultItem>()
  const repeats: BatchResultItem[] = []
  for (const item of items) {
    if (first.has(item.id)) repeats.push(item)
    else first.set(item.id, item)
  }
  const unique = [...first.values()]
  const { rows } = await executePrepared(db, sql<{ id: string, action: Action, status: string, attempts: number }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(unique)}::jsonb)
        as i (id uuid, outcome text, "providerMessageId" text, error text, retryable boolean)
    ), locked as (
      -- One index probe per id (OFFSET 0 keeps the lookup a probe: as a plain join the planner
      -- hashed a scan of the client's whole deliveries and enrollments for every batch).
      select e.campaign_id, e.lead_id from input i
        cross join lateral (select d.campaign_id, d.lead_id from deliveries d where d.id = i.id and d.client_id = ${clientId} offset 0) d
        join enrollments e on e.campaign_id = d.campaign_id and e.lead_id = d.lead_id
      order by e.campaign_id, e.lead_id for update of e
    ), cur as (
      -- The updates below find rows by key, not by the ctid locked here: a lock that waited gets a
      -- version committed after this statement began, which a scan by ctid does not see (nothing
      -- written, yet the result answered applied); by key, the update follows to that version.
      select d.id, d.status, d.attempts, d.campaign_id, d.lead_id, d.step, i.outcome, i."providerMessageId" as provider_message_id, i.error,
        coalesce(i.retryable, true) as retryable
      from input i join deliveries d on d.id = i.id and d.client_id = ${clientId}
      -- evaluated once, before the first delivery is read: every enrollment is locked by then
      where (select count(*) from locked) >= 0
      for update of d
    ), decided as (
      select cur.*, ${ACTION} as action from cur
    ), updated as (
      update deliveries d set
        status = case a.action when 'retry' then 'pending' when 'fail' then 'failed' else 'sent' end,
        due_at = case when a.action = 'retry' then now() + make_interval(mins => power(2, greatest(a.attempts - 1, 0))::int) else d.due_at end,
        lease_expires_at = null,
        sent_at = case when a.action in ('sent', 'late_sent') then now() else d.sent_at end,
        provider_message_id = case when a.action in ('sent', 'late_sent') then a.provider_message_id else d.provider_message_id end,
        error = case when a.action in ('retry', 'fail') then a.error else d.error end,
        updated_at = now()
      from decided a where d.id = a.id and a.action in ('sent', 'late_sent', 'retry', 'fail')
      returning d.id
    ), finals as (
      select campaign_id, lead_id, step, action = 'fail' as stop from decided where action in ('sent', 'fail')
    ), moved as (${advanceEnrollments('finals')}
    ), ${airtableSyncJobs(config, sql`select campaign_id, lead_id from moved where status <> 'active'`, clientId)}
    select id, action, status, attempts from decided
    -- read, so that the mirror's CTEs run
    where (select queued from airtable_queued) >= 0`)

  const result: AppliedResults = { applied: 0, unchanged: 0, conflicts: [], notFound: [], sent: 0, retried: 0, failedFinal: 0 }
  const found = new Map(rows.map(row => [row.id, row]))
  for (const item of unique) {
    const row = found.get(item.id)
    if (row === undefined) { result.notFound.push(item.id); continue }
    if (row.action === 'conflict') result.conflicts.push({ id: item.id, detail: conflictDetail(row.status ?? '', row.attempts ?? 0, item.outcome) })
    else if (row.action === 'unchanged') result.unchanged++
    else {
      result.applied++
      if (row.action === 'sent' || row.action === 'late_sent') result.sent++
      else if (row.action === 'retry') result.retried++
      else result.failedFinal++
    }
  }
  for (const repeat of repeats) {
    if (!found.has(repeat.id)) result.notFound.push(repeat.id)
    else if (first.get(repeat.id)?.outcome === repeat.outcome) result.unchanged++
    else result.conflicts.push({ id: repeat.id, detail: `an earlier result for this delivery in the same batch says ${first.get(repeat.id)?.outcome ?? ''}` })
  }
  return result
}
