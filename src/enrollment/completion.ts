import { sql } from 'kysely'
import type { Queryable, Tx } from '../db/database.js'

/**
 * Marks active enrollments whose completesAt has passed as completed. Scoped to one client
 * inside an enrollment chunk (so the one-active-per-lead index frees those leads), or to all
 * clients from the activation tick.
 */
export async function completeDueEnrollments (db: Queryable | Tx, clientId?: string): Promise<Array<{ campaignId: string, leadId: string }>> {
  const { rows } = await sql<{ campaignId: string, leadId: string }>`
    update enrollments set status = 'completed', ended_at = completes_at
    where status = 'active' and completes_at <= now()
      ${clientId !== undefined ? sql`and client_id = ${clientId}` : sql``}
    returning campaign_id as "campaignId", lead_id as "leadId"`.execute(db)
  return rows
}

/**
 * Active campaigns that enrolled someone, have no active enrollment left and nothing pending
 * from a time-budget stop are completed. One with no enrollment yet stays active (top-ups).
 */
export async function completeFinishedCampaigns (db: Queryable): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    update campaigns c set status = 'completed', ended_at = now(), updated_at = now()
    where c.status = 'active' and not c.enrollment_pending and c.leads_enrolled > 0
      and not exists (select 1 from enrollments e where e.campaign_id = c.id and e.status = 'active')
    returning c.id`.execute(db)
  return rows.map(r => r.id)
}
