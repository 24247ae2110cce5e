import { sql } from 'kysely'
import type { Database, Tx } from '../db/database.js'

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
        update enrollments e set status = 'completed', ended_at = e.completes_at, next_step = null, next_due_at = null
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
 *
 * Two statements in one transaction: the first row-locks the candidates (skipping any a chunk
 * holds: a chunk row-locks its campaign before it inserts); the second re-checks them with a
 * snapshot taken once the locks are held. One UPDATE alone would, after waiting for a chunk's
 * lock, re-check the row but not the enrollments, with its older snapshot: a run that committed
 * its chunk and cleared enrollment_pending meanwhile got its campaign completed anyway.
 */
export async function completeFinishedCampaigns (db: Database): Promise<string[]> {
  return await db.transaction().execute(async tx => {
    const finished = sql`c.status = 'active' and not c.enrollment_pending and c.leads_enrolled > 0
      and not exists (select 1 from enrollments e where e.campaign_id = c.id and e.status = 'active')`
    const { rows: candidates } = await sql<{ id: string }>`
      select c.id from campaigns c where ${finished} for update of c skip locked`.execute(tx)
    if (candidates.length === 0) return []
    const { rows } = await sql<{ id: string }>`
      update campaigns c set status = 'completed', ended_at = now(), updated_at = now()
      where c.id = any(${candidates.map(c => c.id)}::uuid[]) and ${finished}
      returning c.id`.execute(tx)
    return rows.map(r => r.id)
  })
}
