import { type Insertable, type Selectable, sql } from 'kysely'
import type { Queryable, Tx } from '../db/database.js'
import { afterCursor } from '../db/pagination.js'
import type { InboundMessagesTable } from '../db/schema.js'
import type { InboundMessage, InboundResult } from './schemas.js'

export type InboundRow = Selectable<InboundMessagesTable>

export function toInboundResult (row: InboundRow): InboundResult {
  return { id: row.id, action: row.action, leadIds: row.lead_ids, stoppedEnrollments: row.stopped_enrollments }
}

export function toInboundMessage (row: InboundRow): InboundMessage {
  return {
    ...toInboundResult(row),
    from: row.from_phone,
    body: row.body,
    stoppedCampaignIds: row.stopped_campaign_ids,
    receivedAt: row.received_at.toISOString(),
    processedAt: row.processed_at.toISOString()
  }
}

/**
 * The client's leads with this phone, row-locked (in id order, like any other multi-lead lock)
 * so a PATCH of one of them waits for this message to be applied. One probe of leads_client_phone.
 */
export async function lockLeadsWithPhone (tx: Tx, clientId: string, phone: string): Promise<string[]> {
  const rows = await tx.selectFrom('leads').select('id')
    .where('client_id', '=', clientId).where('phone', '=', phone)
    .orderBy('id').forUpdate().execute()
  return rows.map(row => row.id)
}

/** Opts these leads out through an inbound keyword; those already out keep their first withdrawal. Returns the ids changed. */
export async function optOutByInbound (tx: Tx, clientId: string, leadIds: string[]): Promise<string[]> {
  const rows = await tx.updateTable('leads')
    .set({ opted_out: true, opted_out_at: sql<Date>`now()`, opt_out_source: 'inbound', updated_at: sql<Date>`now()` })
    .where('client_id', '=', clientId).where('id', 'in', leadIds).where('opted_out', '=', false).returning('id').execute()
  return rows.map(row => row.id)
}

/** Opts them back in: the audit of the withdrawal is cleared (the message log keeps it). Returns the ids changed. */
export async function optInByInbound (tx: Tx, clientId: string, leadIds: string[]): Promise<string[]> {
  const rows = await tx.updateTable('leads')
    .set({ opted_out: false, opted_out_at: null, opt_out_source: null, updated_at: sql<Date>`now()` })
    .where('client_id', '=', clientId).where('id', 'in', leadIds).where('opted_out', '=', true).returning('id').execute()
  return rows.map(row => row.id)
}

export async function insertInboundMessage (tx: Tx, row: Insertable<InboundMessagesTable>): Promise<InboundRow> {
  return await tx.insertInto('inbound_messages').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findInboundMessage (db: Queryable, clientId: string, id: string): Promise<InboundRow | undefined> {
  return await db.selectFrom('inbound_messages').selectAll().where('client_id', '=', clientId).where('id', '=', id).executeTakeFirst()
}

export async function listInboundMessages (db: Queryable, clientId: string, options: { limit: number, cursor?: string, leadId?: string }): Promise<InboundRow[]> {
  let query = db.selectFrom('inbound_messages').selectAll().where('client_id', '=', clientId)
  if (options.leadId !== undefined) query = query.where(sql<boolean>`lead_ids @> array[${options.leadId}]::uuid[]`)
  if (options.cursor !== undefined) query = query.where(afterCursor('inbound_messages', 'received_at', options.cursor, clientId))
  return await query.orderBy('received_at').orderBy('id').limit(options.limit + 1).execute()
}
