import { sql } from 'kysely'
import type { Queryable } from '../db/database.js'

export interface DueCampaign {
  id: string
  expired: boolean
}

const EXPIRY = sql`interval '30 days'`

/** Scheduled campaigns due now, oldest createdAt first (served by the campaigns_scheduled_due partial index). */
export async function findDueCampaigns (db: Queryable, limit: number): Promise<DueCampaign[]> {
  const { rows } = await sql<DueCampaign>`
    select id, start_at < now() - ${EXPIRY} as expired from campaigns
    where status = 'scheduled' and start_at <= now()
    order by created_at, id limit ${limit}`.execute(db)
  return rows
}

export async function countDueCampaigns (db: Queryable, excluding: string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from campaigns
    where status = 'scheduled' and start_at <= now() and id <> all(${excluding}::uuid[])`.execute(db)
  return rows[0]?.n ?? 0
}

/** Active campaigns left with eligible leads by a time-budget stop (or a crash mid-enrollment). */
export async function findPendingCampaigns (db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from campaigns where status = 'active' and enrollment_pending
    order by created_at, id limit ${limit}`.execute(db)
  return rows.map(r => r.id)
}

/**
 * scheduled → active, once: the campaign's client (its enrollment's lock key), or undefined when
 * another caller got there first, or a PATCH moved startAt since the tick read it.
 */
export async function markActivated (db: Queryable, id: string): Promise<string | undefined> {
  const { rows } = await sql<{ client_id: string }>`
    update campaigns set status = 'active', activated_at = now(), enrollment_pending = true, updated_at = now()
    where id = ${id} and status = 'scheduled' and start_at <= now() and start_at >= now() - ${EXPIRY}
    returning client_id`.execute(db)
  return rows[0]?.client_id
}

/** scheduled → expired for a campaign due more than 30 days ago; nobody is enrolled. */
export async function markExpired (db: Queryable, id: string): Promise<boolean> {
  const result = await sql`
    update campaigns set status = 'expired', ended_at = now(), updated_at = now()
    where id = ${id} and status = 'scheduled' and start_at < now() - ${EXPIRY}`.execute(db)
  return (result.numAffectedRows ?? 0n) > 0n
}
