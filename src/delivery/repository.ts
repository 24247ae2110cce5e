import { type RawBuilder, sql } from 'kysely'
import type { Queryable } from '../db/database.js'
import type { DeliveryStatus } from '../db/schema.js'
import type { CampaignStats, Delivery, DeliveryListQuery } from './schemas.js'

/** A deliveries row, as a query or json_agg returns it (timestamps as Date or RFC 3339 text). */
export interface DeliveryRow {
  id: string
  campaign_id: string
  lead_id: string
  step: number
  status: DeliveryStatus
  due_at: Date | string
  attempts: number
  lease_expires_at: Date | string | null
  recipient: string | null
  body: string | null
  sent_at: Date | string | null
  provider_message_id: string | null
  error: string | null
  skip_reason: string | null
}

const iso = (value: Date | string | null): string | null => value === null ? null : new Date(value).toISOString()

export function toDelivery (row: DeliveryRow): Delivery {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    leadId: row.lead_id,
    step: row.step,
    to: row.recipient,
    body: row.body ?? '',
    status: row.status,
    dueAt: new Date(row.due_at).toISOString(),
    attempts: row.attempts,
    leaseExpiresAt: iso(row.lease_expires_at),
    sentAt: iso(row.sent_at),
    providerMessageId: row.provider_message_id,
    error: row.error,
    skipReason: row.skip_reason
  }
}

/**
 * The API's Delivery (the same fields, names and text as toDelivery and the response schema give),
 * built by PostgreSQL from a deliveries row `alias`: a claim's answer is passed through as it comes,
 * not parsed, mapped and serialized again by the service (a fifth of its CPU in the drain).
 * Timestamps as toISOString writes them: UTC, milliseconds, clamped to years 0001..9999 as the
 * service's parser reads them.
 */
export function deliveryJson (alias: string): RawBuilder<unknown> {
  const column = (name: string) => sql.ref(`${alias}.${name}`)
  // least/greatest skip nulls: a null stays null only through the case.
  const iso = (name: string) => sql`case when ${column(name)} is not null then to_char(least(greatest(${column(name)}, '0001-01-01T00:00:00Z'), '9999-12-31T23:59:59.999Z') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end`
  return sql`json_build_object('id', ${column('id')}, 'campaignId', ${column('campaign_id')}, 'leadId', ${column('lead_id')}, 'step', ${column('step')},
    'to', ${column('recipient')}, 'body', coalesce(${column('body')}, ''), 'status', ${column('status')}, 'dueAt', ${iso('due_at')},
    'attempts', ${column('attempts')}, 'leaseExpiresAt', ${iso('lease_expires_at')}, 'sentAt', ${iso('sent_at')},
    'providerMessageId', ${column('provider_message_id')}, 'error', ${column('error')}, 'skipReason', ${column('skip_reason')})`
}

/** Deliveries with what a claim would hand out now where no claim has yet (phone, rendered body). */
function selectDeliveries (where: RawBuilder<boolean>, tail: RawBuilder<unknown> = sql``) {
  return sql<DeliveryRow>`
    select d.id, d.campaign_id, d.lead_id, d.step, d.status, d.due_at, d.attempts, d.lease_expires_at,
      coalesce(d.recipient, l.phone) as recipient,
      coalesce(d.body, replace(replace(c.messages->d.step->>'body', '{{first_name}}', l.first_name), '{{last_name}}', coalesce(l.last_name, ''))) as body,
      d.sent_at, d.provider_message_id, d.error, d.skip_reason
    from deliveries d join leads l on l.id = d.lead_id join campaigns c on c.id = d.campaign_id
    where ${where} ${tail}`
}

export async function findDelivery (db: Queryable, clientId: string, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await selectDeliveries(sql<boolean>`d.id = ${id} and d.client_id = ${clientId}`).execute(db)
  return rows[0]
}

/** Keyset pages in creation order, scoped to the client (a cursor of another client's matches nothing). */
export async function listDeliveries (db: Queryable, clientId: string, query: DeliveryListQuery): Promise<DeliveryRow[]> {
  const parts: Array<RawBuilder<unknown>> = [sql`d.client_id = ${clientId}`]
  if (query.campaignId !== undefined) parts.push(sql`d.campaign_id = ${query.campaignId}`)
  if (query.leadId !== undefined) parts.push(sql`d.lead_id = ${query.leadId}`)
  if (query.status !== undefined) parts.push(sql`d.status = ${query.status}`)
  if (query.cursor !== undefined) {
    parts.push(sql`(d.created_at, d.id) > (select p.created_at, p.id from deliveries p where p.id = ${query.cursor} and p.client_id = ${clientId})`)
  }
  const { rows } = await selectDeliveries(sql<boolean>`${sql.join(parts, sql` and `)}`, sql`order by d.created_at, d.id limit ${query.limit + 1}`).execute(db)
  return rows
}

/**
 * A campaign's counts in one query, from the rows: enrollments by status and stop reason, and per
 * message the deliveries by status. Messages of active enrollments that have no delivery row yet
 * (not due, or due and not yet made) count as pending, so every step an active enrollment will
 * still send shows up; ended enrollments' unsent steps are never counted.
 */
export async function campaignStats (db: Queryable, campaignId: string, steps: number): Promise<CampaignStats> {
  const { rows } = await sql<{ stats: CampaignStats }>`
    with e as (
      select status, stop_reason, next_step, next_due_at is not null as unmade, count(*)::int as n
      from enrollments where campaign_id = ${campaignId} group by 1, 2, 3, 4
    ), d as (
      select step, status, count(*)::int as n from deliveries where campaign_id = ${campaignId} group by 1, 2
    ), s as (
      select s.step,
        coalesce((select sum(n) from d where d.step = s.step and d.status = 'pending'), 0)
          + coalesce((select sum(n) from e where e.status = 'active' and (e.next_step < s.step or (e.next_step = s.step and e.unmade))), 0) as pending,
        coalesce((select sum(n) from d where d.step = s.step and d.status = 'leased'), 0) as leased,
        coalesce((select sum(n) from d where d.step = s.step and d.status = 'sent'), 0) as sent,
        coalesce((select sum(n) from d where d.step = s.step and d.status = 'failed'), 0) as failed,
        coalesce((select sum(n) from d where d.step = s.step and d.status = 'skipped'), 0) as skipped
      from generate_series(0, ${steps - 1}) s (step)
    )
    select json_build_object(
      'enrollments', json_build_object(
        'active', coalesce((select sum(n) from e where status = 'active'), 0),
        'completed', coalesce((select sum(n) from e where status = 'completed'), 0),
        'stopped', coalesce((select sum(n) from e where status = 'stopped'), 0)),
      'stopReasons', json_build_object(
        'opted_out', coalesce((select sum(n) from e where stop_reason = 'opted_out'), 0),
        'campaign_cancelled', coalesce((select sum(n) from e where stop_reason = 'campaign_cancelled'), 0),
        'replied', coalesce((select sum(n) from e where stop_reason = 'replied'), 0),
        'delivery_failed', coalesce((select sum(n) from e where stop_reason = 'delivery_failed'), 0)),
      -- Inbound messages that stopped this campaign's enrollments (a GIN probe of stopped_campaign_ids).
      'replies', (select count(*) from inbound_messages where stopped_campaign_ids @> array[${campaignId}]::uuid[] and action = 'reply'),
      'optOuts', (select count(*) from inbound_messages where stopped_campaign_ids @> array[${campaignId}]::uuid[] and action = 'opted_out'),
      'steps', (select json_agg(json_build_object('step', step, 'pending', pending, 'leased', leased, 'sent', sent, 'failed', failed, 'skipped', skipped) order by step) from s)
    ) as stats`.execute(db)
  return rows[0]?.stats as CampaignStats
}
