import { type Selectable, sql } from 'kysely'
import type { Queryable } from '../db/database.js'
import type { CampaignStatus, CampaignsTable } from '../db/schema.js'
import type { SendWindow } from '../delivery/send-window.js'
import type { Campaign, CampaignInput, CampaignPatch, Enrollment, EnrollmentListQuery, Targeting } from './schemas.js'
import { totalDelayMinutes } from './rules.js'
import { afterCursor } from '../db/pagination.js'
import { windowedDueTime } from '../delivery/materialize.js'
import { columnsOf, reusable } from '../db/reusable.js'

export type CampaignRow = Selectable<CampaignsTable>

const iso = (date: Date | null): string | null => date === null ? null : date.toISOString()

export function toCampaign (row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    targeting: row.targeting,
    messages: row.messages,
    startAt: iso(row.start_at),
    maxLeadsToEnroll: row.max_leads_to_enroll,
    sendWindow: row.send_window,
    stopOnReply: row.stop_on_reply,
    leadsEnrolled: row.leads_enrolled,
    enrollmentPending: row.enrollment_pending,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    activatedAt: iso(row.activated_at),
    endedAt: iso(row.ended_at)
  }
}

/** An RFC 3339 time in UTC (`Z`), keeping every fractional digit it was given. */
function toUtc (value: string): string {
  const fraction = /\.\d+/.exec(value)?.[0] ?? ''
  return new Date(value.replace(fraction, '')).toISOString().replace('.000Z', fraction + 'Z')
}

/** Targeting as stored and answered: the created range in UTC, whatever offset it was given in. */
function storedTargeting (targeting: Targeting): string {
  const utc = (value: string | undefined) => value === undefined ? undefined : toUtc(value)
  return JSON.stringify({ ...targeting, createdAfter: utc(targeting.createdAfter), createdBefore: utc(targeting.createdBefore) })
}

/** Inserts a campaign: `active` (pending enrollment) when it starts now, else `scheduled`. */
export async function insertCampaign (db: Queryable, id: string, clientId: string, input: CampaignInput, startsNow: boolean): Promise<CampaignRow> {
  return await db.insertInto('campaigns').values({
    id,
    client_id: clientId,
    name: input.name,
    status: startsNow ? 'active' : 'scheduled',
    targeting: storedTargeting(input.targeting ?? {}),
    messages: JSON.stringify(input.messages),
    total_delay_minutes: totalDelayMinutes(input.messages),
    start_at: input.startAt ?? null,
    max_leads_to_enroll: input.maxLeadsToEnroll ?? null,
    send_window: input.sendWindow == null ? null : JSON.stringify(input.sendWindow),
    stop_on_reply: input.stopOnReply ?? true,
    enrollment_pending: startsNow,
    activated_at: startsNow ? sql<Date>`now()` : null
  }).returningAll().executeTakeFirstOrThrow()
}

const CAMPAIGN_COLUMNS = columnsOf<CampaignsTable>({
  id: true, client_id: true, name: true, status: true, targeting: true, messages: true, total_delay_minutes: true, start_at: true,
  max_leads_to_enroll: true, leads_enrolled: true, enrollment_pending: true, send_window: true, created_at: true, updated_at: true,
  activated_at: true, ended_at: true, stop_on_reply: true
})
const selectCampaign = reusable(db => db.selectFrom('campaigns').select(CAMPAIGN_COLUMNS).where('client_id', '=', '').where('id', '=', ''))
const selectCampaignForUpdate = reusable(db => db.selectFrom('campaigns').select(CAMPAIGN_COLUMNS).where('client_id', '=', '').where('id', '=', '').forUpdate())

export async function findCampaign (db: Queryable, clientId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<CampaignRow | undefined> {
  return (await (options.forUpdate === true ? selectCampaignForUpdate : selectCampaign)(db, clientId, id))[0]
}

export async function listCampaigns (db: Queryable, clientId: string, options: { limit: number, cursor?: string, status?: CampaignStatus }): Promise<CampaignRow[]> {
  let query = db.selectFrom('campaigns').selectAll().where('client_id', '=', clientId)
  if (options.status !== undefined) query = query.where('status', '=', options.status)
  if (options.cursor !== undefined) query = query.where(afterCursor('campaigns', 'created_at', options.cursor, clientId))
  return await query.orderBy('created_at').orderBy('id').limit(options.limit + 1).execute()
}

export async function updateScheduledCampaign (db: Queryable, id: string, patch: CampaignPatch): Promise<CampaignRow> {
  return await db.updateTable('campaigns').set({
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.targeting !== undefined ? { targeting: storedTargeting(patch.targeting) } : {}),
    ...(patch.messages !== undefined ? { messages: JSON.stringify(patch.messages), total_delay_minutes: totalDelayMinutes(patch.messages) } : {}),
    // null or a time already past: start now, as on create (which enrolls at once); the next
    // activation tick enrolls it (a past time kept as given could even expire it).
    ...(patch.startAt !== undefined ? { start_at: patch.startAt === null || Date.parse(patch.startAt) <= Date.now() ? sql<Date>`now()` : patch.startAt } : {}),
    ...(patch.maxLeadsToEnroll !== undefined ? { max_leads_to_enroll: patch.maxLeadsToEnroll } : {}),
    ...(patch.sendWindow !== undefined ? { send_window: patch.sendWindow === null ? null : JSON.stringify(patch.sendWindow) } : {}),
    ...(patch.stopOnReply !== undefined ? { stop_on_reply: patch.stopOnReply } : {}),
    updated_at: new Date()
  }).where('id', '=', id).where('status', '=', 'scheduled').returningAll().executeTakeFirstOrThrow()
}

export async function setCampaignStatus (db: Queryable, id: string, status: CampaignStatus): Promise<CampaignRow> {
  return await db.updateTable('campaigns')
    .set({ status, ended_at: sql<Date>`now()`, updated_at: new Date(), enrollment_pending: false })
    .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function listEnrollments (db: Queryable, campaignId: string, options: EnrollmentListQuery): Promise<Enrollment[]> {
  // The next message's due time: its delivery's once made, else the enrollment's own moved into
  // the send window (read in the lead's zone), as the delivery will be made.
  const { rows } = await sql<{ lead_id: string, status: Enrollment['status'], enrolled_at: Date, completes_at: Date, stop_reason: Enrollment['stopReason'], next_step: number | null, due_at: Date | null, raw_due_at: Date | null, timezone: string | null, send_window: SendWindow | null }>`
    select e.lead_id, e.status, e.enrolled_at, e.completes_at, e.stop_reason, e.next_step, d.due_at, e.next_due_at as raw_due_at, l.timezone, c.send_window
    from enrollments e
    join campaigns c on c.id = e.campaign_id
    left join leads l on l.id = e.lead_id and e.next_due_at is not null and c.send_window is not null
    left join deliveries d on d.campaign_id = e.campaign_id and d.lead_id = e.lead_id and d.step = e.next_step and d.status in ('pending', 'leased')
    where e.campaign_id = ${campaignId}
      ${options.status !== undefined ? sql`and e.status = ${options.status}` : sql``}
      ${options.leadId !== undefined ? sql`and e.lead_id = ${options.leadId}` : sql``}
      ${options.cursor !== undefined ? sql`and e.lead_id > ${options.cursor}` : sql``}
    order by e.lead_id limit ${options.limit + 1}`.execute(db)
  return rows.map(row => {
    const nextDue = row.due_at ?? (row.raw_due_at === null ? null : windowedDueTime(row.raw_due_at, row.send_window, row.timezone))
    return {
      leadId: row.lead_id,
      status: row.status,
      enrolledAt: row.enrolled_at.toISOString(),
      completesAt: row.completes_at.toISOString(),
      stopReason: row.stop_reason,
      nextStep: row.status === 'active' ? row.next_step : null,
      nextDueAt: row.status === 'active' ? iso(nextDue) : null
    }
  })
}

/** Campaigns of every client per status, for /metrics: one grouped count. */
export async function countCampaignsByStatus (db: Queryable): Promise<Partial<Record<CampaignStatus, number>>> {
  const rows = await db.selectFrom('campaigns').select(['status', eb => eb.fn.countAll<string>().as('n')]).groupBy('status').execute()
  return Object.fromEntries(rows.map(row => [row.status, Number(row.n)]))
}
