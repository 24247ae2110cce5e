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

/** Stops every active enrollment of a campaign (cancel). */
export async function stopEnrollmentsOfCampaign (tx: Tx, campaignId: string): Promise<StoppedEnrollment[]> {
  const { rows } = await sql<StoppedEnrollment>`
    update enrollments set status = 'stopped', ended_at = now()
    where status = 'active' and campaign_id = ${campaignId}
    returning campaign_id as "campaignId", lead_id as "leadId"`.execute(tx)
  return rows
}
