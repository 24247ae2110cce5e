import { sql } from 'kysely'
import type { Database } from '../db/database.js'

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
