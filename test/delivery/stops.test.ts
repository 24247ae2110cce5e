import { sql } from 'kysely'
import t from 'tap'
import { stopEnrollmentsWhere } from '../../src/enrollment/stop.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

async function deliveryStates (app: Awaited<ReturnType<typeof buildTestApp>>): Promise<Record<string, string>> {
  const { rows } = await app.ctx.pool.query<{ external_id: string, state: string }>(
    `select l.external_id, d.status || coalesce(':' || d.skip_reason, '') as state from deliveries d join leads l on l.id = d.lead_id order by 1`)
  return Object.fromEntries(rows.map(r => [r.external_id, r.state]))
}

/** Makes message 0 of every active enrollment a delivery row: pending, or leased for `leased`. */
async function materialize (app: Awaited<ReturnType<typeof buildTestApp>>, leased: string[] = []): Promise<void> {
  await app.ctx.pool.query(`
    with made as (
      insert into deliveries (client_id, campaign_id, lead_id, step, due_at, status, attempts, lease_expires_at)
      select e.client_id, e.campaign_id, e.lead_id, 0, now(),
        case when l.external_id = any($1) then 'leased' else 'pending' end,
        case when l.external_id = any($1) then 1 else 0 end,
        case when l.external_id = any($1) then now() + interval '5 minutes' end
      from enrollments e join leads l on l.id = e.lead_id where e.status = 'active'
      returning campaign_id, lead_id
    )
    update enrollments e set next_due_at = null from made where made.campaign_id = e.campaign_id and made.lead_id = e.lead_id`, [leased])
}

t.test('opt-out and cancel stop with a reason and withdraw pending and leased deliveries', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'out', tags: ['x'] }, { externalId: 'out-leased', tags: ['x'] }, { externalId: 'kept', tags: ['x'] }, { externalId: 'c', tags: ['y'] }])
  const ids = await leadIdsOf(app, clientId)
  const x = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const y = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  await materialize(app, ['out-leased', 'c'])

  for (const name of ['out', 'out-leased']) {
    t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get(name) ?? ''}`, headers, payload: { optedOut: true } })).statusCode, 200)
  }
  t.equal((await app.api.inject({ method: 'POST', url: `/v1/campaigns/${y.id}/cancel`, headers })).statusCode, 200)
  t.same(await deliveryStates(app), { c: 'skipped:withdrawn', kept: 'pending', out: 'skipped:withdrawn', 'out-leased': 'skipped:withdrawn' })

  const list = (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${x.id}/enrollments`, headers })).json().data as Array<Record<string, unknown>>
  const byLead = Object.fromEntries(list.map(e => [e.leadId, e]))
  t.match(byLead[ids.get('out') ?? ''], { status: 'stopped', stopReason: 'opted_out', nextStep: null, nextDueAt: null })
  t.match(byLead[ids.get('kept') ?? ''], { status: 'active', stopReason: null, nextStep: 0, nextDueAt: /^\d{4}-/ })
  const cancelled = (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${y.id}/enrollments`, headers })).json().data
  t.match(cancelled, [{ status: 'stopped', stopReason: 'campaign_cancelled', nextStep: null }])
})

t.test('stopEnrollmentsWhere: a condition over enrollments and campaigns, scoped to the client', async t => {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['y'] }])
  await seedLeads(app, two.headers, [{ externalId: 'z', tags: ['x'] }])
  const replyStops = await createCampaign(app, one.headers, { name: 'stop on reply', targeting: { tags: ['x'] } })
  await createCampaign(app, one.headers, { name: 'other', targeting: { tags: ['y'] } })
  await createCampaign(app, two.headers, { name: 'stop on reply', targeting: { tags: ['x'] } })
  await materialize(app)
  const stopped = await app.ctx.db.transaction().execute(async tx =>
    await stopEnrollmentsWhere(tx, one.id, sql<boolean>`c.name = 'stop on reply'`, 'replied', app.config))
  t.same(stopped.map(s => s.campaignId), [replyStops.id], "only the client's own matching enrollment")
  const { rows } = await sql<{ name: string, status: string, stop_reason: string | null, delivery: string }>`
    select c.name, e.status, e.stop_reason, d.status as delivery from enrollments e
    join campaigns c on c.id = e.campaign_id join deliveries d on d.campaign_id = e.campaign_id and d.lead_id = e.lead_id
    order by c.client_id = ${one.id} desc, c.name`.execute(app.ctx.db)
  t.same(rows, [
    { name: 'other', status: 'active', stop_reason: null, delivery: 'pending' },
    { name: 'stop on reply', status: 'stopped', stop_reason: 'replied', delivery: 'skipped' },
    { name: 'stop on reply', status: 'active', stop_reason: null, delivery: 'pending' }
  ])
})
