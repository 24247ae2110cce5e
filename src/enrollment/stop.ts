import { sql } from 'kysely'
import type { Tx } from '../db/database.js'

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
    update enrollments set status = 'stopped', ended_at = now()
    where status = 'active' and client_id = ${clientId} and lead_id = any(${leadIds}::uuid[])
    returning campaign_id as "campaignId", lead_id as "leadId"`.execute(tx)
  return rows
}

/**
 * Stops every active enrollment of a campaign (cancel) and returns how many. The rows stay in
 * the database: they are the ones of this campaign with ended_at = now() (the transaction time).
 */
export async function stopEnrollmentsOfCampaign (tx: Tx, campaignId: string): Promise<number> {
  const result = await sql`
    update enrollments set status = 'stopped', ended_at = now()
    where status = 'active' and campaign_id = ${campaignId}`.execute(tx)
  return Number(result.numAffectedRows ?? 0n)
}
