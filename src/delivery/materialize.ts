import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import { vouchForDeliveries } from '../enrollment/engine.js'
import { nextSendTime, type SendWindow } from './send-window.js'

/**
 * When a message due at `due` may go out: the send window's next opening, read in the lead's zone
 * when it has one. A window the API would refuse (only in data written around it) or a zone the
 * runtime does not know never blocks a message: it goes out as due.
 */
export function windowedDueTime (due: Date, window: SendWindow | null, leadTimeZone: string | null): Date {
  try {
    return nextSendTime(due, window, leadTimeZone)
  } catch {
    return due
  }
}

interface DueMessage {
  campaign_id: string
  lead_id: string
  next_step: number
  next_due_at: Date
  send_window: SendWindow | null
  timezone: string | null
}

/**
 * Creates the delivery rows of one client's messages that have fallen due (enrollments whose
 * next_due_at passed), at most `limit`, in one transaction: the send window moves each due time
 * to the window's next opening in the lead's zone (computed here, in JS), and the enrollment's
 * next_due_at is cleared. Enrollments another transaction holds are skipped, never waited for.
 * Returns how many were made.
 */
export async function materializeDueMessages (db: Database, clientId: string, limit: number): Promise<number> {
  // Most claims find nothing to make: one index probe instead of a transaction's three round trips.
  const { rows: due } = await sql<{ any: boolean }>`select exists (
    select 1 from enrollments e where e.client_id = ${clientId} and e.status = 'active' and e.next_due_at <= now()) as any`.execute(db)
  if (due[0]?.any !== true) return 0
  return await db.transaction().execute(async tx => {
    const { rows } = await sql<DueMessage>`
      select e.campaign_id, e.lead_id, e.next_step, e.next_due_at, c.send_window, l.timezone
      from enrollments e join campaigns c on c.id = e.campaign_id join leads l on l.id = e.lead_id
      where e.client_id = ${clientId} and e.status = 'active' and e.next_due_at <= now()
      order by e.next_due_at limit ${limit}
      for update of e skip locked`.execute(tx)
    if (rows.length === 0) return 0
    const dueAt = rows.map(row => windowedDueTime(row.next_due_at, row.send_window, row.timezone).toISOString())
    // The rows are those of enrollments row-locked above: vouched for (see vouchForDeliveries).
    await sql`
      with vouched as materialized (
        select ${vouchForDeliveries(clientId)}
      ), m as (
        select * from unnest(${rows.map(r => r.campaign_id)}::uuid[], ${rows.map(r => r.lead_id)}::uuid[], ${rows.map(r => r.next_step)}::int[], ${dueAt}::timestamptz[])
          as m (campaign_id, lead_id, step, due_at)
      ), made as (
        insert into deliveries (client_id, campaign_id, lead_id, step, due_at)
        select ${clientId}, campaign_id, lead_id, step, due_at from m cross join vouched
        on conflict (campaign_id, lead_id, step) do nothing
      )
      update enrollments e set next_due_at = null from m where e.campaign_id = m.campaign_id and e.lead_id = m.lead_id`.execute(tx)
    return rows.length
  })
}

/** Clients that have messages to create now: one probe of enrollments_next_due per client. */
export async function clientsWithDueMessages (db: Database): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select c.id from clients c where exists (
      select 1 from enrollments e where e.client_id = c.id and e.status = 'active' and e.next_due_at <= now())`.execute(db)
  return rows.map(r => r.id)
}
