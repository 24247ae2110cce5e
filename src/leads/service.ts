import { queueAirtableSyncForEnrollments } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { lockClient } from '../db/locks.js'
import { stopEnrollmentsOfLeads } from '../enrollment/stop.js'
import { type FieldError, badRequest, notFound } from '../http/problem.js'
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
  return await db.transaction().execute(async tx => {
    await lockClient(tx, clientId)
    const result = await upsertLeads(tx, clientId, leads)
    const stopped = await stopEnrollmentsOfLeads(tx, clientId, result.optedOutIds)
    await queueAirtableSyncForEnrollments(tx, config, stopped)
    return { created: result.created, updated: result.updated, unchanged: result.unchanged }
  })
}

export async function patchLead ({ db, config }: LeadServices, clientId: string, id: string, patch: LeadPatch): Promise<LeadRow> {
  return await db.transaction().execute(async tx => {
    if (patch.optedOut === true) await lockClient(tx, clientId)
    const result = await updateLead(tx, clientId, id, patch)
    if (result === undefined) throw notFound('lead')
    if (result.optedOutNow) await queueAirtableSyncForEnrollments(tx, config, await stopEnrollmentsOfLeads(tx, clientId, [id]))
    return result.row
  })
}
