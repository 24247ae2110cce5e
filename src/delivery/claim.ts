import { type RawBuilder, sql } from 'kysely'
import { airtableSyncJobs } from '../airtable/sync-queue.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { executePrepared } from '../db/reusable.js'
import { sendablePhone } from '../leads/phone.js'
import { advanceEnrollments } from './advance.js'
import { deliveryJson } from './repository.js'

export interface ClaimPass {
  /** How many were handed out, and those deliveries as the API shows them: JSON objects separated by commas (no brackets). */
  handed: number
  handedJson: string | null
  /** How many of those were handed out again after their lease expired. */
  leaseExpiries: number
  skipped: { no_phone: number, stale: number }
  /** Enrollments completed by a skip of their last message. */
  completed: number
  /** Messages due with no delivery row yet: with `unlessUnmade` the pass did nothing, make them first. */
  unmade: boolean
}

interface PassOptions {
  limit: number
  leaseSeconds: number
  /** false: the tick's pass, which only skips (stale, no phone) and hands nothing out. */
  handOut: boolean
  /**
   * Do nothing while the client has messages due that have no delivery row yet (see
   * materializeDueMessages): they may be older than the rows there are, and a claim that handed
   * out rows first could leave them waiting for good. The common claim, nothing to make, is then
   * this one statement.
   */
  unlessUnmade?: boolean
}

/**
 * One statement (its own transaction): takes the client's due deliveries (pending, or leased with
 * an expired lease), oldest dueAt first, with FOR UPDATE SKIP LOCKED (a delivery another claim
 * holds is passed over, never returned twice). Those whose lead has no phone, or that are stale,
 * are skipped and their enrollments move on (enrollments another transaction holds are skipped, not
 * waited for: this statement never waits on a lock, so it cannot deadlock); the rest are leased,
 * with attempts + 1 and the body rendered now. The Airtable mirror of enrollments a skip completed
 * is queued by the same statement.
 */
export async function claimPass (db: Database, config: Config, clientId: string, options: PassOptions): Promise<ClaimPass> {
  const stale = staleBefore(config)
  // The sender's claim runs as a prepared statement (parsed once per connection; PostgreSQL keeps
  // planning it per call, its generic plan costing more). The tick's skip-only pass, whose plan
  // depends on how many phoneless leads a client has, is planned from scratch each time.
  const run = options.handOut ? executePrepared : async <Row>(db: Database, query: RawBuilder<Row>) => await query.execute(db)
  const { rows } = await run(db, sql<{ handed: number, handed_json: string | null, expiries: number, no_phone: number, stale: number, completed: number, unmade: boolean }>`
    with unmade as (
      select ${options.unlessUnmade === true} and exists (
        select 1 from enrollments e where e.client_id = ${clientId} and e.status = 'active' and e.next_due_at <= now()) as due
    ), ${options.handOut ? sql`` : sql`skippable as materialized (${skippableDeliveries(clientId, stale)}), `}picked as (
      -- (the updates find these rows again by key, not by ctid: see applyResults)
      select d.id, d.status as was, d.campaign_id, d.lead_id, d.step,
        case when not ${sendablePhone()} then 'no_phone' when d.due_at <= ${stale} then 'stale' end as skip,
        -- what a hand-out writes, read here with the lead: the update then reads no lead or campaign again
        l.phone, replace(replace(c.messages->d.step->>'body', '{{first_name}}', l.first_name), '{{last_name}}', coalesce(l.last_name, '')) as body
      from deliveries d join leads l on l.id = d.lead_id join campaigns c on c.id = d.campaign_id
      where d.client_id = ${clientId} and ${claimable}
        ${options.handOut ? sql`` : sql`and d.id in (select id from skippable)`}
        and not (select due from unmade)
      order by d.due_at
      limit ${options.limit}
      for update of d skip locked
    ), movable as (
      -- One index probe per skipped delivery: as a join, the planner hashed a scan of every
      -- client's enrollments.
      select m.campaign_id, m.lead_id from picked p cross join lateral (
        select e.campaign_id, e.lead_id from enrollments e
        where e.campaign_id = p.campaign_id and e.lead_id = p.lead_id and e.status = 'active'
        for update skip locked) m
      where p.skip is not null
    ), skipped as (
      update deliveries d set status = 'skipped', skip_reason = p.skip, lease_expires_at = null, updated_at = now()
      from picked p join movable m on m.campaign_id = p.campaign_id and m.lead_id = p.lead_id
      where d.id = p.id
      returning d.campaign_id, d.lead_id, d.step, false as stop, p.skip
    ), moved as (${advanceEnrollments('skipped')}
    ), handed as (
      update deliveries d set status = 'leased', attempts = d.attempts + 1,
        lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds}),
        recipient = p.phone,
        body = p.body,
        updated_at = now()
      from picked p
      where d.id = p.id and p.skip is null and ${options.handOut}
      returning d.*, p.was
    ), ${airtableSyncJobs(config, sql`select campaign_id, lead_id from moved where status = 'completed'`, clientId)}
    select
      (select count(*)::int from handed) as handed,
      (select string_agg(${deliveryJson('h')}::text, ',' order by h.due_at) from handed h) as handed_json,
      (select count(*)::int from handed where was = 'leased') as expiries,
      (select count(*)::int from skipped where skip = 'no_phone') as no_phone,
      (select count(*)::int from skipped where skip = 'stale') as stale,
      (select count(*)::int from moved where status = 'completed') as completed,
      (select due from unmade) as unmade,
      (select queued from airtable_queued) as queued`)
  const row = rows[0]
  return {
    handed: row?.handed ?? 0,
    handedJson: row?.handed_json ?? null,
    leaseExpiries: row?.expiries ?? 0,
    skipped: { no_phone: row?.no_phone ?? 0, stale: row?.stale ?? 0 },
    completed: row?.completed ?? 0,
    unmade: row?.unmade ?? false
  }
}

/** A due delivery no live lease holds (over `deliveries d`, or the alias given). */
function claimableAs (d: string): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${d}.${name}`)
  return sql<boolean>`${column('status')} in ('pending', 'leased') and ${column('due_at')} <= now() and (${column('status')} = 'pending' or ${column('lease_expires_at')} <= now())`
}
const claimable = claimableAs('d')

function staleBefore (config: Config): RawBuilder<Date> {
  return sql<Date>`now() - make_interval(secs => ${config.DELIVERY_STALE_AFTER_SECONDS})`
}

// A client with fewer leads than this without a sendable phone has its phoneless deliveries
// found from those leads (a probe of deliveries_lead each); one with more, from its open due
// deliveries (a probe of the lead each), which is then the smaller side.
const FEW_UNSENDABLE = 1000

/**
 * The ids of a client's claimable deliveries that are stale or whose lead has no sendable phone,
 * found from the few that can be: a range of deliveries_open_due below the stale limit, and the
 * deliveries of the leads in leads_unsendable_phone (migration 0017). Not a look at every open
 * due delivery and its lead: with no sender running, that was all of them, every tick. The
 * lateral subquery (kept apart by offset 0, probing by lead alone) makes the lead side drive
 * whatever the estimates: those of a table filling fast said the deliveries were the few.
 */
function skippableDeliveries (clientId: string | RawBuilder<unknown>, stale: RawBuilder<Date>): RawBuilder<{ id: string }> {
  const unsendable = sql`l.client_id = ${clientId} and not ${sendablePhone()}`
  const few = sql`(select count(*) from (select 1 from leads l where ${unsendable} limit ${FEW_UNSENDABLE}) u) < ${FEW_UNSENDABLE}`
  return sql`select d.id from deliveries d where d.client_id = ${clientId} and ${claimable} and d.due_at <= ${stale}
    union all
    select p.id from (select l.id from leads l where ${unsendable} offset 0) u
      cross join lateral (select d.id, d.status, d.due_at, d.lease_expires_at from deliveries d where d.lead_id = u.id offset 0) p
    where ${few} and ${claimableAs('p')}
    union all
    select d.id from deliveries d join leads l on l.id = d.lead_id
    where d.client_id = ${clientId} and ${claimable} and ${unsendable} and not ${few}`
}

/** Clients with a claimable delivery that is stale or whose lead has no sendable phone (the tick's skips). */
export async function clientsWithSkippable (db: Database, config: Config): Promise<string[]> {
  return await db.transaction().execute(async tx => {
    // The arms not taken are costed far above jit_above_cost: compiling took 0.4 s of a 2 ms
    // query (bench tick, 100 clients), every tick.
    await sql`select set_config('jit', 'off', true)`.execute(tx)
    const { rows } = await sql<{ id: string }>`
      select c.id from clients c where exists (${skippableDeliveries(sql.ref('c.id'), staleBefore(config))})`.execute(tx)
    return rows.map(r => r.id)
  })
}
