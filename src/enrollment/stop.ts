import { sql } from 'kysely'
import type { Tx } from '../db/database.js'

// An enrollment whose completesAt has passed but which the tick has not swept yet ran its course:
// it is completed (at completesAt), not stopped.
const endedNow = sql`status = case when completes_at <= now() then 'completed' else 'stopped' end,
  ended_at = least(completes_at, now())`

export interface StoppedEnrollment {
  campaignId: string
  leadId: string
}

/**
 * Stops the active enrollments of the given leads (opt-out). Runs inside the caller's
 * transaction, which must hold the client lock so no enrollment chunk races it.
 */
export async function stopEnrollmentsOfLeads (tx: Tx, clientId: string, leadIds: string[]): Promise<StoppedEnrollment[]> {
  if (leadIds.length === 0) return []
  const { rows } = await sql<StoppedEnrollment>`
    update enrollments set ${endedNow}
    where status = 'active' and client_id = ${clientId} and lead_id = any(${leadIds}::uuid[])
    returning campaign_id as "campaignId", lead_id as "leadId"`.execute(tx)
  return rows
}

/**
 * Stops every active enrollment of a campaign (cancel). The stopped rows stay in the database:
 * they are the ones of this campaign with status 'stopped' and ended_at = now() (the transaction
 * time). Returns how many, and the few completed instead because their time had already run out.
 */
export async function stopEnrollmentsOfCampaign (tx: Tx, campaignId: string): Promise<{ stopped: number, completed: StoppedEnrollment[] }> {
  // Those already past completesAt (the tick has not swept them yet) ran their course first.
  const { rows: completed } = await sql<StoppedEnrollment>`
    update enrollments set status = 'completed', ended_at = completes_at
    where status = 'active' and campaign_id = ${campaignId} and completes_at <= now()
    returning campaign_id as "campaignId", lead_id as "leadId"`.execute(tx)
  const result = await sql`
    update enrollments set status = 'stopped', ended_at = now()
    where status = 'active' and campaign_id = ${campaignId}`.execute(tx)
  return { stopped: Number(result.numAffectedRows ?? 0n), completed }
}
