import { queueAirtableSyncForLeads } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type pg from 'pg'
import { type Database, withConnection } from '../db/database.js'
import { lockClient } from '../db/locks.js'
import { timeZoneErrors } from '../delivery/send-window.js'
import { stopEnrollmentsOfLeads } from '../enrollment/stop.js'
import { type FieldError, badRequest, notFound, validationFailed } from '../http/problem.js'
import { type LeadRow, updateLead, upsertLeads } from './repository.js'
import type { BulkLeadsResult, LeadInput, LeadPatch } from './schemas.js'
import { normalizePhone } from './phone.js'

function duplicateExternalIds (leads: LeadInput[]): FieldError[] {
  const firstIndex = new Map<string, number>()
  const errors: FieldError[] = []
  leads.forEach((lead, index) => {
    const first = firstIndex.get(lead.externalId)
    if (first === undefined) firstIndex.set(lead.externalId, index)
    else errors.push({ path: `leads/${index}/externalId`, message: `duplicates leads/${first}/externalId` })
  })
  return errors
}

// A lead's tags ride in the cap-order index (so matching reads no table pages), and a btree
// entry holds at most ~2.7 KB: past that PostgreSQL refuses the row (a 500). 100 tags of up to
// 100 characters would pass the schema; together they must stay under this.
export const MAX_TAG_BYTES = 1200

function tagSizeError (tags: string[] | undefined, path: string): FieldError[] {
  if (tags === undefined) return []
  const bytes = [...new Set(tags)].reduce((sum, tag) => sum + Buffer.byteLength(tag, 'utf8'), 0)
  return bytes > MAX_TAG_BYTES ? [{ path, message: `together must be at most ${MAX_TAG_BYTES} bytes of UTF-8 text (these are ${bytes})` }] : []
}

/** The items with their phones in E.164, and the field errors of those that are not phone numbers. */
function withE164Phones<T extends { phone?: string | null }> (items: T[], region: string, pathOf: (index: number) => string): { items: T[], errors: FieldError[] } {
  const errors: FieldError[] = []
  const normalized = items.map((item, index) => {
    if (item.phone === undefined) return item
    const result = normalizePhone(item.phone, region, pathOf(index))
    if ('error' in result) errors.push(result.error)
    return 'phone' in result ? { ...item, phone: result.phone } : item
  })
  return { items: normalized, errors }
}

const itemIndex = (error: FieldError): number => Number(error.path.split('/')[1])

export interface LeadServices {
  db: Database
  /** The pool under `db`: the import's transaction also sends a COPY over its connection. */
  pool: pg.Pool
  config: Config
}

/**
 * All-or-nothing import; opted-out leads leave their active enrollments in the same
 * transaction, which also queues the Airtable update of those enrollments.
 */
export async function importLeads ({ pool, config }: LeadServices, clientId: string, leads: LeadInput[]): Promise<BulkLeadsResult> {
  const duplicates = duplicateExternalIds(leads)
  if (duplicates.length > 0) throw badRequest('each externalId may appear once per request', duplicates)
  const oversized = leads.flatMap((lead, index) => [...tagSizeError(lead.tags, `leads/${index}/tags`), ...timeZoneErrors(lead.timezone, `leads/${index}/timezone`)])
  const phones = withE164Phones(leads, config.DEFAULT_PHONE_REGION, index => `leads/${index}/phone`)
  const errors = [...oversized, ...phones.errors].sort((a, b) => itemIndex(a) - itemIndex(b))
  if (errors.length > 0) throw validationFailed(errors)
  const normalized = phones.items
  return await withConnection(pool, async (db, connection) => await db.transaction().execute(async tx => {
    await lockClient(tx, clientId)
    const result = await upsertLeads(tx, connection, clientId, normalized)
    await stopEnrollmentsOfLeads(tx, clientId, result.optedOutIds, 'opted_out', config)
    await queueAirtableSyncForLeads(tx, config, clientId, result.optOutChangedIds)
    return { created: result.created, updated: result.updated, unchanged: result.unchanged }
  }))
}

export async function patchLead ({ db, config }: LeadServices, clientId: string, id: string, patch: LeadPatch): Promise<LeadRow> {
  const phones = withE164Phones([patch], config.DEFAULT_PHONE_REGION, () => 'phone')
  const errors = [...tagSizeError(patch.tags, 'tags'), ...timeZoneErrors(patch.timezone, 'timezone'), ...phones.errors]
  if (errors.length > 0) throw validationFailed(errors)
  const normalized = phones.items[0] ?? patch
  return await db.transaction().execute(async tx => {
    if (patch.optedOut === true) await lockClient(tx, clientId)
    const result = await updateLead(tx, clientId, id, normalized)
    if (result === undefined) throw notFound('lead')
    if (result.optedOutNow) await stopEnrollmentsOfLeads(tx, clientId, [id], 'opted_out', config)
    if (result.optOutChanged) await queueAirtableSyncForLeads(tx, config, clientId, [id])
    return result.row
  })
}
