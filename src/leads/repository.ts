import { type RawBuilder, type Selectable, sql } from 'kysely'
import type pg from 'pg'
import { arrayLiteral, copyFromStdin, copyText } from '../db/copy.js'
import type { Queryable, Tx } from '../db/database.js'
import type { LeadsTable } from '../db/schema.js'
import type { Lead, LeadInput, LeadPatch } from './schemas.js'
import { afterCursor } from '../db/pagination.js'
import { columnsOf, reusable } from '../db/reusable.js'

export type LeadRow = Selectable<LeadsTable>

export function toLead (row: LeadRow): Lead {
  return {
    id: row.id,
    externalId: row.external_id,
    firstName: row.first_name,
    lastName: row.last_name,
    phone: row.phone,
    email: row.email,
    tags: row.tags,
    engagementLevel: row.engagement_level,
    icpScore: row.icp_score,
    optedOut: row.opted_out,
    optedOutAt: row.opted_out_at === null ? null : row.opted_out_at.toISOString(),
    optOutSource: row.opt_out_source,
    airtableRecordId: row.airtable_record_id,
    timezone: row.timezone,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

/**
 * The opt-out audit columns when `optedOut` becomes `next` through the API (in an UPDATE, where
 * the bare columns are the stored values): an opt-out records its time and source 'api', a lead
 * already out keeps its first withdrawal; an opt-in clears both (the inbound log keeps history).
 */
function optOutAudit (next: RawBuilder<boolean>, table: 'l' | 'leads') {
  const stored = (column: string) => sql.ref(`${table}.${column}`)
  return {
    opted_out_at: sql<Date | null>`case when not ${next} then null when ${stored('opted_out')} then ${stored('opted_out_at')} else now() end`,
    opt_out_source: sql<'api' | null>`case when not ${next} then null when ${stored('opted_out')} then ${stored('opt_out_source')} else 'api' end`
  }
}

// Lead fields as (API name, column, SQL type). Absent fields keep the stored value on update;
// an explicit null clears it.
const OPTIONAL_FIELDS = [
  ['lastName', 'last_name', 'text'],
  ['phone', 'phone', 'text'],
  ['email', 'email', 'text'],
  ['engagementLevel', 'engagement_level', 'text'],
  ['icpScore', 'icp_score', 'smallint'],
  ['airtableRecordId', 'airtable_record_id', 'text'],
  ['timezone', 'timezone', 'text']
] as const

type UpsertResult = { created: number, updated: number, unchanged: number, optedOutIds: string[], optOutChangedIds: string[] }

/**
 * Upserts a batch set-based. A batch that looks all new (none of a few sampled externalIds is
 * known) goes in as it is: COPY (an INSERT for those opted out at once) under a savepoint. Only
 * when that meets a known externalId does the savepoint roll back and the batch take the general
 * path: one probe finds the known externalIds, one UPDATE (only when some are known) changes
 * those, a COPY adds the new ones (an INSERT those opted out at once). A known lead whose fields
 * all equal the stored ones is left alone (no write, no new updatedAt) and counted as unchanged.
 * The caller holds the client lock, so no concurrent import can insert a lead between the
 * sample or the probe and the COPY. `connection` is the one `tx` runs on: the COPY goes over it.
 * Returns the ids of leads opted out by this import, and of those whose opt-out it changed
 * (either way: the Airtable checkbox follows).
 */
export async function upsertLeads (tx: Tx, connection: pg.ClientBase, clientId: string, leads: LeadInput[]): Promise<UpsertResult> {
  const items = leads.map(lead => lead.tags !== undefined ? { ...lead, tags: [...new Set(lead.tags)] } : lead)
  if (!await anyKnown(tx, clientId, sampleOf(items).map(lead => lead.externalId))) {
    const inserted = await insertIfAllNew(tx, connection, clientId, items)
    if (inserted !== undefined) return inserted
  }
  return await upsertKnownAndNew(tx, connection, clientId, items)
}

// The probe of every externalId is work a batch of new leads does not need: without it a
// 5,000-lead batch of new leads costs PostgreSQL ~25 ms of CPU less
// (planning and running `= any()` of 5,000 ids) and the service ~4 ms less (bench import, A/B).
// Which path a batch takes is chosen from a sample: the first and the last item and a few
// between. A re-import (all known) or a batch with many known leads is caught by it and never
// tries the COPY of all; a batch of new leads with a few known ones in between tries it and
// falls back (insertIfAllNew says what that costs).
const SAMPLE = 16

/** The items whose externalIds are sampled (exported for the tests, which place a known lead where it does not look). */
export function sampleOf<T> (items: T[]): T[] {
  if (items.length <= SAMPLE) return items
  return Array.from({ length: SAMPLE }, (_, k) => items[Math.round(k * (items.length - 1) / (SAMPLE - 1))] as T)
}

async function anyKnown (tx: Tx, clientId: string, externalIds: string[]): Promise<boolean> {
  const { rows } = await sql<{ known: boolean }>`select exists (select from leads
    where client_id = ${clientId} and external_id = any(${externalIds}::text[])) as known`.execute(tx)
  return rows[0]?.known === true
}

const isExternalIdTaken = (error: unknown): boolean => typeof error === 'object' && error !== null &&
  (error as { code?: unknown }).code === '23505' && (error as { constraint?: unknown }).constraint === 'leads_client_id_external_id_key'

/**
 * Inserts the batch as all new under a savepoint; undefined (and nothing written) when one of its
 * externalIds is known after all. Such a failed try costs what PostgreSQL did up to the row that
 * failed (COPY inserts in groups of up to 1,000 rows, so some rows past it) and all of the COPY's
 * rows made on this side: for 5,000 leads whose only known one is next to last (not sampled),
 * measured ~110 ms more of PostgreSQL's CPU and ~10 ms more of the service's than the probe path,
 * against ~25 ms and ~4 ms saved by every batch that is all new.
 */
async function insertIfAllNew (tx: Tx, connection: pg.ClientBase, clientId: string, items: LeadInput[]): Promise<UpsertResult | undefined> {
  await sql`savepoint all_new`.execute(tx)
  try {
    const copied = await copyLeads(connection, clientId, items.filter(lead => lead.optedOut !== true))
    const created = await insertOptedOut(tx, clientId, items.filter(lead => lead.optedOut === true))
    await sql`release savepoint all_new`.execute(tx)
    const ids = created.map(row => row.id)
    return { created: copied + created.length, updated: 0, unchanged: 0, optedOutIds: ids, optOutChangedIds: ids }
  } catch (error) {
    if (!isExternalIdTaken(error)) throw error
    await sql`rollback to savepoint all_new`.execute(tx)
    return undefined
  }
}

/** The general path: probe, UPDATE of the known leads, COPY (and INSERT) of the new ones. */
async function upsertKnownAndNew (tx: Tx, connection: pg.ClientBase, clientId: string, items: LeadInput[]): Promise<UpsertResult> {
  const known = new Set((await sql<{ external_id: string }>`select external_id from leads
    where client_id = ${clientId} and external_id = any(${items.map(lead => lead.externalId)}::text[])`.execute(tx)).rows.map(row => row.external_id))
  const input = JSON.stringify(items.filter(lead => known.has(lead.externalId)))
  const given = (api: string, column: string, type: string) =>
    sql.raw(`case when i.item ? '${api}' then (i.item->>'${api}')::${type} else l.${column} end as ${column}`)
  const columns = ['first_name', ...OPTIONAL_FIELDS.map(([, column]) => column), 'tags', 'opted_out', 'created_at']
  const list = (alias: string) => sql.raw(columns.map(column => `${alias}.${column}`).join(', '))
  const audit = optOutAudit(sql<boolean>`n.opted_out`, 'l')
  const updated = known.size === 0 ? { rows: [] } : await sql<{ id: string, opted_out: boolean, was_opted_out: boolean }>`
    with i as (select item from jsonb_array_elements(${input}::jsonb) as item),
    n as (
      select l.id,
        i.item->>'firstName' as first_name,
        ${sql.join(OPTIONAL_FIELDS.map(([api, column, type]) => given(api, column, type)))},
        case when i.item ? 'tags' then array(select jsonb_array_elements_text(i.item->'tags')) else l.tags end as tags,
        case when i.item ? 'optedOut' then (i.item->>'optedOut')::boolean else l.opted_out end as opted_out,
        coalesce((i.item->>'createdAt')::timestamptz, l.created_at) as created_at,
        l.opted_out as was_opted_out
      from i join leads l on l.client_id = ${clientId} and l.external_id = i.item->>'externalId'
    )
    update leads l set
      ${sql.raw(columns.map(column => `${column} = n.${column}`).join(', '))},
      opted_out_at = ${audit.opted_out_at}, opt_out_source = ${audit.opt_out_source},
      updated_at = now()
    from n
    where l.id = n.id and (${list('l')}) is distinct from (${list('n')})
    returning l.id, l.opted_out, n.was_opted_out`.execute(tx)
  const fresh = items.filter(lead => !known.has(lead.externalId))
  const copied = await copyLeads(connection, clientId, fresh.filter(lead => lead.optedOut !== true))
  const created = await insertOptedOut(tx, clientId, fresh.filter(lead => lead.optedOut === true))
  const optedOutIds = [...updated.rows.filter(r => r.opted_out).map(r => r.id), ...created.map(r => r.id)]
  const optOutChangedIds = [...updated.rows.filter(r => r.opted_out !== r.was_opted_out).map(r => r.id), ...created.map(r => r.id)]
  const unchanged = items.length - copied - created.length - updated.rows.length
  return { created: copied + created.length, updated: updated.rows.length, unchanged, optedOutIds, optOutChangedIds }
}

/**
 * New leads opted out at once, by INSERT (not the COPY): it stamps their opt-out and returns
 * their ids. Fields as typed columns in one pass over the JSON (cheaper than a lookup per field
 * and row); an absent field arrives as null and takes the column's default.
 */
async function insertOptedOut (tx: Tx, clientId: string, optedOut: LeadInput[]): Promise<Array<{ id: string }>> {
  if (optedOut.length === 0) return []
  return (await sql<{ id: string }>`
    insert into leads (client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, opted_out, airtable_record_id, timezone, created_at, opted_out_at, opt_out_source)
    select ${clientId}, r."externalId", r."firstName", r."lastName", r.phone, r.email, coalesce(r.tags, '{}'),
      r."engagementLevel", r."icpScore", true, r."airtableRecordId", r.timezone, coalesce(r."createdAt", now()), now(), 'api'
    from json_to_recordset(${JSON.stringify(optedOut)}::json) as r("externalId" text, "firstName" text, "lastName" text, phone text, email text, tags text[],
      "engagementLevel" text, "icpScore" smallint, "airtableRecordId" text, timezone text, "createdAt" timestamptz)
    returning id`.execute(tx)).rows
}

// The columns a new lead's COPY row gives; the others take their defaults (opted_out false,
// created_at now(): the transaction's time, as the INSERT's now()).
const COPY_COLUMNS = 'client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, airtable_record_id, timezone'
const COPY_CHUNK = 500

// New leads go in by COPY, the cheapest way into this table and its indexes, and no result to read.
/** COPYs new leads none of which is opted out: those without createdAt, then those with. */
async function copyLeads (connection: pg.ClientBase, clientId: string, leads: LeadInput[]): Promise<number> {
  const undated = leads.filter(lead => lead.createdAt === undefined)
  const dated = leads.filter(lead => lead.createdAt !== undefined)
  let copied = 0
  if (undated.length > 0) copied += await copyFromStdin(connection, `copy leads (${COPY_COLUMNS}) from stdin`, copyRows(clientId, undated))
  if (dated.length > 0) copied += await copyFromStdin(connection, `copy leads (${COPY_COLUMNS}, created_at) from stdin`, copyRows(clientId, dated))
  return copied
}

/** The leads as COPY text rows in COPY_COLUMNS order (plus created_at when given), COPY_CHUNK rows a chunk. */
function * copyRows (clientId: string, leads: LeadInput[]): Generator<string> {
  for (let start = 0; start < leads.length; start += COPY_CHUNK) {
    let chunk = ''
    for (const lead of leads.slice(start, start + COPY_CHUNK)) {
      chunk += `${clientId}\t${copyText(lead.externalId)}\t${copyText(lead.firstName)}\t${copyText(lead.lastName)}\t${copyText(lead.phone)}\t${copyText(lead.email)}\t` +
        `${copyText(arrayLiteral(lead.tags ?? []))}\t${copyText(lead.engagementLevel)}\t${copyText(lead.icpScore)}\t${copyText(lead.airtableRecordId)}\t${copyText(lead.timezone)}` +
        `${lead.createdAt === undefined ? '' : `\t${copyText(lead.createdAt)}`}\n`
    }
    yield chunk
  }
}

const LEAD_COLUMNS = columnsOf<LeadsTable>({
  id: true, client_id: true, external_id: true, first_name: true, last_name: true, phone: true, email: true, tags: true,
  engagement_level: true, icp_score: true, opted_out: true, opted_out_at: true, opt_out_source: true, airtable_record_id: true,
  timezone: true, created_at: true, updated_at: true, enroll_rank: true
})
const selectLead = reusable(db => db.selectFrom('leads').select(LEAD_COLUMNS).where('client_id', '=', '').where('id', '=', ''))

export async function findLead (db: Queryable, clientId: string, id: string): Promise<LeadRow | undefined> {
  return (await selectLead(db, clientId, id))[0]
}

// A page without a tag filter, first or after a cursor: prepared like the reads by id. A tag
// filter's best plan depends on how common the tag is, so that query is planned on every call.
const listPage = reusable(db => db.selectFrom('leads').select(LEAD_COLUMNS).where('client_id', '=', '').orderBy('created_at').orderBy('id').limit(0))
const listPageAfter = reusable(db => db.selectFrom('leads').select(LEAD_COLUMNS).where('client_id', '=', '')
  .where(afterCursor('leads', 'created_at', '', '')).orderBy('created_at').orderBy('id').limit(0))

export async function listLeads (db: Queryable, clientId: string, options: { limit: number, cursor?: string, tag?: string }): Promise<LeadRow[]> {
  if (options.tag === undefined) {
    return options.cursor === undefined
      ? await listPage(db, clientId, options.limit + 1)
      : await listPageAfter(db, clientId, options.cursor, clientId, options.limit + 1)
  }
  let query = db.selectFrom('leads').selectAll().where('client_id', '=', clientId).where(sql<boolean>`tags @> array[${options.tag}]::text[]`)
  if (options.cursor !== undefined) query = query.where(afterCursor('leads', 'created_at', options.cursor, clientId))
  return await query.orderBy('created_at').orderBy('id').limit(options.limit + 1).execute()
}

/** Applies a patch; the caller's transaction holds the client lock (opt-out races enrollment). */
export async function updateLead (tx: Tx, clientId: string, id: string, patch: LeadPatch): Promise<{ row: LeadRow, optedOutNow: boolean, optOutChanged: boolean } | undefined> {
  const before = await tx.selectFrom('leads').select('opted_out').where('client_id', '=', clientId).where('id', '=', id).forUpdate().executeTakeFirst()
  if (before === undefined) return undefined
  const row = await tx.updateTable('leads').set({
    ...(patch.firstName !== undefined ? { first_name: patch.firstName } : {}),
    ...(patch.lastName !== undefined ? { last_name: patch.lastName } : {}),
    ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
    ...(patch.email !== undefined ? { email: patch.email } : {}),
    ...(patch.tags !== undefined ? { tags: [...new Set(patch.tags)] } : {}),
    ...(patch.engagementLevel !== undefined ? { engagement_level: patch.engagementLevel } : {}),
    ...(patch.icpScore !== undefined ? { icp_score: patch.icpScore } : {}),
    ...(patch.optedOut !== undefined ? { opted_out: patch.optedOut, ...optOutAudit(sql<boolean>`${patch.optedOut}::boolean`, 'leads') } : {}),
    ...(patch.airtableRecordId !== undefined ? { airtable_record_id: patch.airtableRecordId } : {}),
    ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
    updated_at: new Date()
  }).where('client_id', '=', clientId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return { row, optedOutNow: row.opted_out && !before.opted_out, optOutChanged: row.opted_out !== before.opted_out }
}
