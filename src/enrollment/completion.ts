import { sql } from 'kysely'
import type { Database, Queryable, Tx } from '../db/database.js'

const COMPLETION_BATCH = 5000

/**
 * Marks active enrollments whose completesAt has passed as completed, in transactions of at
 * most 5,000 rows so memory and lock time stay bounded however many fall due at once. Each
 * batch's rows are handed to `onBatch` inside its transaction (the Airtable mirror is queued
 * there). Scoped to one client before an enrollment run, or to every client from the tick.
 */
export async function completeDueEnrollments (
  db: Database,
  onBatch: (tx: Tx, completed: Array<{ campaignId: string, leadId: string }>) => Promise<unknown>,
  clientId?: string
): Promise<number> {
  let total = 0
  for (;;) {
    const done = await db.transaction().execute(async tx => {
      const { rows } = await sql<{ campaignId: string, leadId: string }>`
        update enrollments e set status = 'completed', ended_at = e.completes_at
        from (
          select campaign_id, lead_id from enrollments
          where status = 'active' and completes_at <= now() ${clientId !== undefined ? sql`and client_id = ${clientId}` : sql``}
          limit ${COMPLETION_BATCH} for update skip locked
        ) due
        where e.campaign_id = due.campaign_id and e.lead_id = due.lead_id
        returning e.campaign_id as "campaignId", e.lead_id as "leadId"`.execute(tx)
      if (rows.length > 0) await onBatch(tx, rows)
      return rows.length
    })
    total += done
    if (done < COMPLETION_BATCH) return total
  }
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
