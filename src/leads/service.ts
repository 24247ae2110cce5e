import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { lockClient } from '../db/locks.js'
import { timeZoneErrors } from '../delivery/send-window.js'
import { stopEnrollmentsOfLeads } from '../enrollment/stop.js'
import { type FieldError, badRequest, notFound, validationFailed } from '../http/problem.js'
import { type LeadRow, updateLead, upsertLeads } from './repository.js'
import type { BulkLeadsResult, LeadInput, LeadPatch } from './schemas.js'

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

export interface LeadServices {
  db: Database
  config: Config
}

/**
 * All-or-nothing import; opted-out leads leave their active enrollments in the same
 * transaction, which also queues the Airtable update of those enrollments.
 */
export async function importLeads ({ db, config }: LeadServices, clientId: string, leads: LeadInput[]): Promise<BulkLeadsResult> {
  const duplicates = duplicateExternalIds(leads)
  if (duplicates.length > 0) throw badRequest('each externalId may appear once per request', duplicates)
  const oversized = leads.flatMap((lead, index) => [...tagSizeError(lead.tags, `leads/${index}/tags`), ...timeZoneErrors(lead.timezone, `leads/${index}/timezone`)])
  if (oversized.length > 0) throw validationFailed(oversized)
  return await db.transaction().execute(async tx => {
    await lockClient(tx, clientId)
    const result = await upsertLeads(tx, clientId, leads)
    await stopEnrollmentsOfLeads(tx, clientId, result.optedOutIds, 'opted_out', config)
    return { created: result.created, updated: result.updated, unchanged: result.unchanged }
  })
}

export async function patchLead ({ db, config }: LeadServices, clientId: string, id: string, patch: LeadPatch): Promise<LeadRow> {
  const oversized = [...tagSizeError(patch.tags, 'tags'), ...timeZoneErrors(patch.timezone, 'timezone')]
  if (oversized.length > 0) throw validationFailed(oversized)
  return await db.transaction().execute(async tx => {
    if (patch.optedOut === true) await lockClient(tx, clientId)
    const result = await updateLead(tx, clientId, id, patch)
    if (result === undefined) throw notFound('lead')
    if (result.optedOutNow) await stopEnrollmentsOfLeads(tx, clientId, [id], 'opted_out', config)
    return result.row
  })
}
