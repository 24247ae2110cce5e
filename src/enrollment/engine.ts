import { type RawBuilder, sql } from 'kysely'
import { queueAirtableSync } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import { longerStatementTimeout, type Database, type Tx } from '../db/database.js'
import { clientLock } from '../db/locks.js'
import type { Targeting } from '../campaigns/schemas.js'
import { CAP_ORDER, eligibleCondition } from './matching.js'

export type StopReason = 'enrollment_cap' | 'timeout'

export interface EnrollmentRun {
  /** Enrolled by this run. */
  enrolled: number
  /** Eligible when the run started: enrolled + those left by a cap or time-budget stop. */
  totalMatching: number
  /** The campaign's total after this run. */
  leadsEnrolled: number
  /** Set when eligible leads were left: by the cap, or by the time budget (continued by the tick). */
  stoppedBy?: StopReason
  remaining: number
}

export interface EnrollOptions {
  /** Each committed chunk queues the Airtable sync of its enrollments in its own transaction. */
  config: Config
  chunkSize: number
  /** Wall-clock budget for the run; checked between chunks (a chunk always commits whole). */
  budgetMs: number
  /** Shutdown: stop between chunks as if the budget ran out (the rest stays pending). */
  signal?: AbortSignal
  /**
   * Make the delivery of message 0 in the enrollment's own statement when it is due at once (no
   * delay, no send window): the activation tick would make it moments later anyway, as a second
   * write of every enrollment. Off for POST /v1/campaigns, whose answer waits on the run.
   */
  firstDeliveries?: boolean
}

interface ChunkCampaign {
  client_id: string
  status: string
  targeting: Targeting
  messages: Array<{ body: string, delayMinutes: number }>
  send_window: unknown
  total_delay_minutes: number
  max_leads_to_enroll: number | null
  leads_enrolled: number
}

interface ChunkResult {
  state: 'inactive' | 'capped' | 'enrolled'
  enrolled: number
  leadsEnrolled: number
  cursor?: Cursor
  exhausted: boolean
  /** The chunk ended the run and cleared enrollment_pending in its own transaction. */
  settled: boolean
}

/** Position in the cap order after the last enrolled lead; created_at as text keeps microseconds. */
interface Cursor { rank: number, createdAt: string, id: string }

/**
 * The chunk's INSERT ... SELECT takes only leads `where l.client_id = <client>` (targetingCondition),
 * under the client lock: the tenant check (migration 0018) then does not probe its leads again,
 * only its campaign. Transaction-local, and cleared by the next INSERT into enrollments.
 */
export function vouchForLeads (campaignId: string, clientId: string): RawBuilder<string> {
  return sql<string>`set_config('campaign_service.enrollment_leads_vouched', ${campaignId + ' ' + clientId}, true)`
}

/**
 * The same for the next INSERT into deliveries (migration 0019): its rows are of this client and
 * name leads and campaigns the writer holds (the engine: leads selected by client under the client
 * lock; materialize.ts: those of enrollments it row-locked), so the check does not lock them FOR
 * KEY SHARE (it still checks them). Names this transaction; cleared by that insert.
 */
export function vouchForDeliveries (clientId: string): RawBuilder<string> {
  return sql<string>`set_config('campaign_service.delivery_leads_vouched', ${clientId} || ' ' || txid_current(), true)`
}

/**
 * One committed chunk: under the client's advisory lock (every write that decides who is
 * enrolled takes it), re-read the campaign, then one INSERT ... SELECT of the next eligible
 * leads in cap order, and the counter moved in the same transaction. The lock makes the cap
 * and the one-active-enrollment rule exact; the unique indexes stay as the last guard.
 */
async function enrollChunk (tx: Tx, campaignId: string, clientId: string, limit: number, cursor: Cursor | undefined, options: EnrollOptions): Promise<ChunkResult> {
  const { config } = options
  // A LIMIT over a nested loop across a million leads is costed above jit_above_cost, and
  // compiling took 10-160 ms per chunk for a statement whose time goes to index probes. A chunk is
  // budgeted by its run (ENROLLMENT_TIME_BUDGET_MS), not by the per-statement deadline. Set in the
  // same round trip as the client lock and the campaign read, with the vouch for the chunk's leads.
  // Row-locked: the tick's completion (which takes no client lock) must not complete the
  // campaign between this read and the insert; it waits, then sees enrollment_pending. The client
  // lock comes first: the CTE is joined below the row lock (LockRows is the plan's top), and a
  // row lock that waited returns the row as the other transaction left it.
  const { rows: [campaign] } = await sql<ChunkCampaign>`
    with settings as materialized (
      select ${clientLock(clientId)}, set_config('jit', 'off', true), ${vouchForLeads(campaignId, clientId)}, ${options.firstDeliveries === true ? vouchForDeliveries(clientId) : sql`null`}, ${longerStatementTimeout(Math.max(config.ENROLLMENT_TIME_BUDGET_MS, config.DATABASE_STATEMENT_TIMEOUT_MS))}
    )
    select c.client_id, c.status, c.targeting, c.messages, c.send_window, c.total_delay_minutes, c.max_leads_to_enroll, c.leads_enrolled
    from campaigns c cross join settings
    where c.id = ${campaignId}
    for update of c`.execute(tx)
  if (campaign === undefined) throw new Error(`campaign ${campaignId} not found`)
  // The lock key and the vouch above name the client the caller gave: it must be the campaign's.
  if (campaign.client_id !== clientId) throw new Error(`campaign ${campaignId} is not of client ${clientId}`)
  if (campaign.status !== 'active') return { state: 'inactive', enrolled: 0, leadsEnrolled: campaign.leads_enrolled, exhausted: true, settled: false }
  const capLeft = campaign.max_leads_to_enroll === null ? Infinity : campaign.max_leads_to_enroll - campaign.leads_enrolled
  if (capLeft <= 0) return { state: 'capped', enrolled: 0, leadsEnrolled: campaign.leads_enrolled, exhausted: false, settled: false }
  const take = Math.min(limit, capLeft)
  // Message 0 falls due this long after enrollment; its delivery row is made when it is due:
  // here when that is now and asked for, else by the next claim or tick (materialize.ts).
  const firstDelay = campaign.messages[0]?.delayMinutes ?? 0
  const deliverNow = options.firstDeliveries === true && firstDelay === 0 && campaign.send_window === null
  const after = cursor === undefined ? sql`true` : sql`(l.enroll_rank, l.created_at, l.id) > (${cursor.rank}, ${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`
  const { rows } = await sql<{ enrolled: number, leads_enrolled: number | null, lead_ids: string[] | null, rank: number | null, created_at: string | null, id: string | null }>`
    with picked as materialized (
      select l.id, l.enroll_rank, l.created_at from leads l
      where ${eligibleCondition(clientId, campaignId, campaign.targeting, { probeEachLead: true })} and ${after}
      order by ${CAP_ORDER}
      limit ${take}
    ), inserted as (
      insert into enrollments (campaign_id, lead_id, client_id, enrolled_at, completes_at, next_step, next_due_at)
      select ${campaignId}, id, ${clientId}, statement_timestamp(), statement_timestamp() + make_interval(mins => ${campaign.total_delay_minutes}),
        0, ${deliverNow ? sql`null` : sql`statement_timestamp() + make_interval(mins => ${firstDelay})`} from picked
      returning lead_id
    ), ${deliverNow
      ? sql`delivered as (
      insert into deliveries (client_id, campaign_id, lead_id, step, due_at)
      select ${clientId}, ${campaignId}, lead_id, 0, statement_timestamp() from inserted
    ), `
      : sql``}last as (
      select enroll_rank, created_at, id from picked order by enroll_rank desc, created_at desc, id desc limit 1
    ), counted as (
      select count(*)::int as n from inserted
    ), settled as (
      -- pending stays true until a run ends cleanly, so a crash mid-run is continued by the tick;
      -- a chunk that ends the run (audience exhausted, or the cap reached) clears it in its own commit.
      update campaigns set leads_enrolled = leads_enrolled + counted.n,
        enrollment_pending = not (counted.n < ${take} or counted.n = ${capLeft === Infinity ? -1 : capLeft}::int), updated_at = now()
      from counted where id = ${campaignId}
      returning leads_enrolled
    )
    select (select n from counted) as enrolled, (select leads_enrolled from settled) as leads_enrolled,
      case when exists (select 1 from client_airtable_settings where client_id = ${clientId}) then (select array_agg(lead_id) from inserted) end as lead_ids, last.enroll_rank as rank, last.created_at::text as created_at, last.id
    from (select 1) one left join last on true`.execute(tx)
  const row = rows[0]
  const enrolled = row?.enrolled ?? 0
  const leadsEnrolled = row?.leads_enrolled ?? campaign.leads_enrolled + enrolled
  if (row?.lead_ids != null) await queueAirtableSync(tx, config, { campaignId, leadIds: row.lead_ids })
  const exhausted = enrolled < take
  const settled = exhausted || enrolled === capLeft
  const next = row?.id != null && row.rank !== null && row.created_at !== null ? { rank: row.rank, createdAt: row.created_at, id: row.id } : undefined
  return { state: enrolled === capLeft ? 'capped' : 'enrolled', enrolled, leadsEnrolled, cursor: next, exhausted, settled }
}

async function countEligible (db: Database, campaignId: string, clientId: string, targeting?: Targeting): Promise<number> {
  // A campaign deleted (by hand) since its last chunk leaves nothing to count.
  const known = targeting ?? (await db.selectFrom('campaigns').select('targeting').where('id', '=', campaignId).executeTakeFirst())?.targeting
  if (known === undefined) return 0
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from leads l where ${eligibleCondition(clientId, campaignId, known)}`.execute(db)
  return rows[0]?.n ?? 0
}

/**
 * Enrolls the eligible leads of an active campaign in committed chunks until the audience is
 * exhausted, the cap is reached, or the time budget runs out (then `enrollment_pending` is set
 * so the activation tick continues). Memory does not grow with the audience: rows never leave
 * PostgreSQL, only a cursor does. `clientId`, the campaign's client when the caller knows it,
 * saves a read (the activation tick runs one small campaign after another).
 */
export async function enrollCampaign (db: Database, campaignId: string, options: EnrollOptions, clientId?: string): Promise<EnrollmentRun> {
  const started = Date.now()
  const client = clientId ?? (await db.selectFrom('campaigns').select('client_id').where('id', '=', campaignId).executeTakeFirstOrThrow()).client_id
  let enrolled = 0
  let cursor: Cursor | undefined
  let result: ChunkResult
  let stoppedBy: StopReason | undefined
  for (;;) {
    result = await db.transaction().execute(async tx => await enrollChunk(tx, campaignId, client, options.chunkSize, cursor, options))
    enrolled += result.enrolled
    cursor = result.cursor ?? cursor
    if (result.state === 'inactive' || result.exhausted) break
    if (result.state === 'capped') { stoppedBy = 'enrollment_cap'; break }
    if (Date.now() - started >= options.budgetMs || options.signal?.aborted === true) { stoppedBy = 'timeout'; break }
  }
  // Only a stop leaves eligible leads behind; count them once, at the end, instead of up front.
  const remaining = stoppedBy === undefined ? 0 : await countEligible(db, campaignId, client)
  const pending = stoppedBy === 'timeout' && remaining > 0
  if (!result.settled) await db.updateTable('campaigns').set({ enrollment_pending: pending }).where('id', '=', campaignId).where('status', '=', 'active').execute()
  return {
    enrolled,
    totalMatching: enrolled + remaining,
    leadsEnrolled: result.leadsEnrolled,
    remaining,
    ...(remaining > 0 && stoppedBy !== undefined ? { stoppedBy } : {})
  }
}

/**
 * The state of a new campaign whose first run broke off (a lost connection, a cancelled
 * statement): what its committed chunks enrolled and what is left. It stays
 * enrollment_pending (set when it was inserted), so the activation tick continues it.
 */
export async function interruptedRun (db: Database, campaignId: string): Promise<EnrollmentRun> {
  const campaign = await db.selectFrom('campaigns').select(['client_id', 'targeting', 'leads_enrolled']).where('id', '=', campaignId).executeTakeFirstOrThrow()
  const remaining = await countEligible(db, campaignId, campaign.client_id, campaign.targeting)
  await db.updateTable('campaigns').set({ enrollment_pending: true }).where('id', '=', campaignId).where('status', '=', 'active').execute()
  return {
    enrolled: campaign.leads_enrolled,
    totalMatching: campaign.leads_enrolled + remaining,
    leadsEnrolled: campaign.leads_enrolled,
    remaining,
    ...(remaining > 0 ? { stoppedBy: 'timeout' as const } : {})
  }
}
