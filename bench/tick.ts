// Activation at scale: C due campaigns of 100 leads each, activated by repeated calls of the
// internal tick, against a bare floor doing the same inserts: one statement per campaign that
// enrolls the same leads and makes their first deliveries (the first message is due at once),
// into copies of enrollments and deliveries with the same columns, checks and indexes. Each side
// takes half of the campaigns, then the other half, in the order floor, service, service, floor.
import type pg from 'pg'
import type { Child } from './child.js'
import type { Row } from './table.js'

const PER_CLIENT = 10
const LEADS_PER_CAMPAIGN = 100
const MESSAGES = JSON.stringify([{ body: 'Hi {{first_name}}!', delayMinutes: 0 }, { body: 'Still there?', delayMinutes: 1440 }])

export interface TickSetup {
  pool: pg.Pool
  service: Child
  cronSecret: string
  campaigns: number
}

export async function benchTick ({ pool, service, cronSecret, campaigns }: TickSetup): Promise<Row> {
  // Clients of PER_CLIENT campaigns each; campaign k of a client targets its leads tagged t<k>.
  const clients = Math.ceil(campaigns / PER_CLIENT)
  await pool.query(`
    with c as (insert into clients (name) select 'tick ' || g from generate_series(1, $1::int) g returning id)
    insert into leads (client_id, external_id, first_name, tags, icp_score, phone)
    select c.id, 'tick-' || k || '-' || n, 'Lead ' || n, array['t' || k], n % 101, '+1' || (2000000000 + row_number() over ())
    from c, generate_series(0, $2::int - 1) k, generate_series(1, $3::int) n`, [clients, PER_CLIENT, LEADS_PER_CAMPAIGN])
  // Not due yet: each half of them falls due when its service round starts.
  await pool.query(`
    insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes, start_at)
    select c.id, 'tick t' || k, 'scheduled', jsonb_build_object('tags', array['t' || k]), $2::jsonb, 1440, now() + interval '1 day'
    from clients c, generate_series(0, $1::int - 1) k where c.name like 'tick %'`, [PER_CLIENT, MESSAGES])
  await pool.query('vacuum analyze leads, campaigns')
  const due = (await pool.query<{ id: string, client_id: string, tag: string }>(`
    select id, client_id, targeting->'tags'->>0 as tag from campaigns where status = 'scheduled' and name like 'tick t%' order by created_at, id`)).rows
  const halves = [due.slice(0, Math.ceil(due.length / 2)), due.slice(Math.ceil(due.length / 2))]

  await pool.query('create table bare_tick_enrollments (like enrollments including all) with (autovacuum_enabled = false)')
  await pool.query('create table bare_tick_deliveries (like deliveries including all) with (autovacuum_enabled = false)')
  let floorMs = 0
  let bareRows = 0
  const floor = async (campaigns: typeof due): Promise<void> => {
    await pool.query('checkpoint')
    const started = performance.now()
    for (const campaign of campaigns) {
      const result = await pool.query(`
        with enrolled as (
          insert into bare_tick_enrollments (campaign_id, lead_id, client_id, enrolled_at, completes_at, next_step, next_due_at)
          select $1, id, client_id, statement_timestamp(), statement_timestamp() + interval '1440 minutes', 0, null
          from leads where client_id = $2 and tags @> array[$3] and not opted_out
          returning campaign_id, lead_id, client_id
        )
        insert into bare_tick_deliveries (client_id, campaign_id, lead_id, step, due_at)
        select client_id, campaign_id, lead_id, 0, statement_timestamp() from enrolled`, [campaign.id, campaign.client_id, campaign.tag])
      bareRows += result.rowCount ?? 0
    }
    floorMs += performance.now() - started
  }

  let serviceMs = 0
  let activated = 0
  let ticks = 0
  const tick = async (campaigns: typeof due): Promise<void> => {
    await pool.query("update campaigns set start_at = now() - interval '1 minute' where id = any($1::uuid[])", [campaigns.map(c => c.id)])
    await pool.query('checkpoint')
    const started = performance.now()
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${service.internalPort}/internal/campaigns/activate-scheduled`, { method: 'POST', headers: { authorization: `Bearer ${cronSecret}` } })
      if (response.status !== 200) throw new Error(`the tick answered ${response.status}: ${await response.text()}`)
      const body = await response.json() as { activated: unknown[], failed: unknown[], remaining: number }
      ticks++
      activated += body.activated.length
      if (body.failed.length > 0) throw new Error(`the tick failed campaigns: ${JSON.stringify(body.failed)}`)
      if (body.remaining === 0) break
    }
    serviceMs += performance.now() - started
  }
  // Floor, service, service, floor (a half each time): load from elsewhere that rises or falls
  // during the run then weighs on both alike.
  const [first = [], second = []] = halves
  await floor(first)
  await tick(first)
  await tick(second)
  await floor(second)
  await pool.query('drop table bare_tick_enrollments, bare_tick_deliveries')
  const made = (await pool.query<{ enrolled: number, delivered: number }>(`
    select (select count(*)::int from enrollments e join campaigns c on c.id = e.campaign_id where c.name like 'tick t%') as enrolled,
           (select count(*)::int from deliveries d join campaigns c on c.id = d.campaign_id where c.name like 'tick t%' and d.step = 0) as delivered`)).rows[0]
  if (activated !== due.length || made?.enrolled !== bareRows || made.delivered !== bareRows) {
    throw new Error(`tick: activated ${activated} of ${due.length}, enrolled ${made?.enrolled}, first deliveries ${made?.delivered}, floor rows ${bareRows}`)
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  return {
    path: `activation: ${due.length.toLocaleString('en-US')} due campaigns × ${LEADS_PER_CAMPAIGN} leads`,
    service: `${seconds(serviceMs)} (${ticks} ticks)`,
    floor: `${seconds(floorMs)} (${due.length} INSERT … SELECT, enrollments and first deliveries)`,
    ratio: serviceMs / floorMs,
    goal: '≤ 2',
    peakRss: await service.maxRss()
  }
}
