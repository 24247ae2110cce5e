import { type RawBuilder, sql } from 'kysely'
import { queueAirtableSyncForCancelledCampaign, queueAirtableSyncForEnrollments } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type { Tx } from '../db/database.js'
import type { EnrollmentStopReason } from '../db/schema.js'

export type { EnrollmentStopReason } from '../db/schema.js'

export interface StoppedEnrollment {
  campaignId: string
  leadId: string
}

/**
 * One statement: row-locks the matching active enrollments in key order (results lock theirs in
 * the same order, so the two never deadlock), stops them with `reason`, and withdraws their
 * pending and leased deliveries (skipped, `withdrawn`): once this commits no claim returns them.
 * A claim holding one of those deliveries right now commits first (claims never wait on anything).
 */
function stopStatement (clientId: string, condition: RawBuilder<boolean>, reason: EnrollmentStopReason) {
  return sql`
    with locked as (
      select e.campaign_id, e.lead_id from enrollments e join campaigns c on c.id = e.campaign_id
      where e.client_id = ${clientId} and e.status = 'active' and (${condition})
      order by e.campaign_id, e.lead_id
      for update of e
    ), stopped as (
      update enrollments e set status = 'stopped', stop_reason = ${reason}, ended_at = now(), next_step = null, next_due_at = null
      from locked where e.campaign_id = locked.campaign_id and e.lead_id = locked.lead_id
      returning e.campaign_id, e.lead_id
    ), withdrawn as (
      update deliveries d set status = 'skipped', skip_reason = 'withdrawn', lease_expires_at = null, updated_at = now()
      from stopped s where d.campaign_id = s.campaign_id and d.lead_id = s.lead_id and d.status in ('pending', 'leased')
      returning d.id
    )`
}

/**
 * Stops the client's active enrollments that match `condition` (SQL over `enrollments e`, which
 * may also read `campaigns c`), withdraws their deliveries and queues their Airtable mirror, all
 * in the caller's transaction. Callers that decide who is enrolled (opt-out) hold the client lock.
 */
export async function stopEnrollmentsWhere (tx: Tx, clientId: string, condition: RawBuilder<boolean>, reason: EnrollmentStopReason, config: Config): Promise<StoppedEnrollment[]> {
  const { rows } = await sql<StoppedEnrollment>`${stopStatement(clientId, condition, reason)}
    select campaign_id as "campaignId", lead_id as "leadId" from stopped`.execute(tx)
  await queueAirtableSyncForEnrollments(tx, config, rows)
  return rows
}

/** Stops the active enrollments of these leads (opt-out, a reply): see stopEnrollmentsWhere. */
export async function stopEnrollmentsOfLeads (tx: Tx, clientId: string, leadIds: string[], reason: EnrollmentStopReason, config: Config): Promise<StoppedEnrollment[]> {
  if (leadIds.length === 0) return []
  return await stopEnrollmentsWhere(tx, clientId, sql<boolean>`e.lead_id = any(${leadIds}::uuid[])`, reason, config)
}

/**
 * Stops every active enrollment of a campaign (cancel) and returns how many. A campaign of a
 * million leads never passes through the service's memory: the Airtable mirror is queued from
 * the rows this transaction stopped.
 */
export async function stopEnrollmentsOfCampaign (tx: Tx, clientId: string, campaignId: string, config: Config): Promise<number> {
  const { rows } = await sql<{ n: number }>`${stopStatement(clientId, sql<boolean>`e.campaign_id = ${campaignId}`, 'campaign_cancelled')}
    select count(*)::int as n from stopped`.execute(tx)
  await queueAirtableSyncForCancelledCampaign(tx, config, campaignId)
  return rows[0]?.n ?? 0
}
