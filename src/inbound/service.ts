import { sql } from 'kysely'
import { queueAirtableSyncForLeads } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type { Database, Tx } from '../db/database.js'
import type { InboundAction } from '../db/schema.js'
import { lockClient } from '../db/locks.js'
import { type StoppedEnrollment, stopEnrollmentsOfLeads, stopEnrollmentsWhere } from '../enrollment/stop.js'
import { validationFailed } from '../http/problem.js'
import { PHONE_MESSAGE, toE164 } from '../leads/phone.js'
import { intentOf, type InboundIntent } from './keywords.js'
import { findInboundMessage, insertInboundMessage, lockLeadsWithPhone, optInByInbound, optOutByInbound, toInboundResult } from './repository.js'
import type { InboundMessageInput, InboundResult } from './schemas.js'

export interface InboundServices {
  db: Database
  config: Config
}

/** A reply stops the leads' active enrollments in campaigns that stop on reply. */
async function stopOnReply (tx: Tx, clientId: string, leadIds: string[], config: Config): Promise<StoppedEnrollment[]> {
  return await stopEnrollmentsWhere(tx, clientId, sql<boolean>`e.lead_id = any(${leadIds}::uuid[]) and c.stop_on_reply`, 'replied', config)
}

/** Applies what the message asks of these leads; returns the action and the enrollments it stopped. */
async function apply (tx: Tx, clientId: string, intent: InboundIntent, leadIds: string[], config: Config): Promise<{ action: InboundAction, stopped: StoppedEnrollment[] }> {
  if (leadIds.length === 0) return { action: 'unknown_sender', stopped: [] }
  switch (intent) {
    case 'opt_out': {
      // The Airtable checkbox of those that changed; stopped enrollments queue their own sync too.
      await queueAirtableSyncForLeads(tx, config, clientId, await optOutByInbound(tx, clientId, leadIds))
      return { action: 'opted_out', stopped: await stopEnrollmentsOfLeads(tx, clientId, leadIds, 'opted_out', config) }
    }
    case 'opt_in':
      await queueAirtableSyncForLeads(tx, config, clientId, await optInByInbound(tx, clientId, leadIds))
      return { action: 'opted_in', stopped: [] }
    case 'help':
      return { action: 'help', stopped: [] }
    case 'reply':
      return { action: 'reply', stopped: await stopOnReply(tx, clientId, leadIds, config) }
  }
}

/**
 * Applies an inbound message and stores it as message `id`, in one transaction: the opt-out, the
 * stopped enrollments with their deliveries withdrawn, the Airtable mirror and the log row commit
 * together. `id` is the Idempotency-Key's resource id: a rerun after an attempt that committed but
 * never answered finds the stored message and answers with it instead of applying it twice.
 */
export async function receiveInboundMessage ({ db, config }: InboundServices, clientId: string, input: InboundMessageInput, id: string): Promise<InboundResult> {
  const from = toE164(input.from, config.DEFAULT_PHONE_REGION)
  if (from === undefined) throw validationFailed([{ path: 'from', message: PHONE_MESSAGE.replace(' (null: no phone)', '') }])
  const intent = intentOf(input.body)
  return await db.transaction().execute(async tx => {
    const earlier = await findInboundMessage(tx, clientId, id)
    if (earlier !== undefined) return toInboundResult(earlier)
    // Opting in or out and stopping enrollments change who is enrolled: the client lock orders
    // this with enrollment chunks and PATCH opt-outs, as they take it. HELP changes nothing.
    if (intent !== 'help') await lockClient(tx, clientId)
    const leadIds = await lockLeadsWithPhone(tx, clientId, from)
    const { action, stopped } = await apply(tx, clientId, intent, leadIds, config)
    const row = await insertInboundMessage(tx, {
      id,
      client_id: clientId,
      from_phone: from,
      body: input.body,
      action,
      lead_ids: leadIds,
      stopped_campaign_ids: [...new Set(stopped.map(s => s.campaignId))],
      stopped_enrollments: stopped.length,
      received_at: input.receivedAt ?? new Date()
    })
    return toInboundResult(row)
  })
}
