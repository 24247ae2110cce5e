import t from 'tap'
import { airtableClient, airtableEnv, airtableStandIn, syncJobs } from '../helpers/airtable.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { claim } from '../helpers/deliveries.js'
import { seedLeads } from '../helpers/seed.js'

// Enrollments that a claim or a batch of results ends are mirrored into Airtable by the same
// statement that ends them (the worker is off: the jobs stay in the table to inspect).

async function threeLeads (app: TestApp, client: { id: string, headers: Record<string, string> }): Promise<Map<string, string>> {
  await seedLeads(app, client.headers, [
    { externalId: 'sent', tags: ['m'], phone: '+15552220001' },
    { externalId: 'failed', tags: ['m'], phone: '+15552220002' },
    { externalId: 'phoneless', tags: ['m'] }
  ] as never)
  await app.ctx.pool.query(`update leads set airtable_record_id = 'rec' || external_id where client_id = $1`, [client.id])
  return await leadIdsOf(app, client.id)
}

async function results (app: TestApp, headers: Record<string, string>, body: Record<string, unknown>): Promise<any> {
  const response = await app.api.inject({ method: 'POST', url: '/v1/deliveries/results', headers, payload: body })
  if (response.statusCode !== 200) throw new Error(`results answered ${response.statusCode}: ${response.body}`)
  return response.json()
}

t.test('a claim that skips a last message, and results that complete or stop enrollments, queue their mirror', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const ids = await threeLeads(app, client)
  const campaign = await createCampaign(app, client.headers, { targeting: { tags: ['m'] }, messages: [{ body: 'Only one', delayMinutes: 0 }] })
  await app.ctx.pool.query('delete from graphile_worker._private_jobs')

  const handed = await claim(app, client.headers, { limit: 10 })
  t.same(handed.map(d => d.leadId).sort(), [ids.get('sent'), ids.get('failed')].sort(), 'the phoneless lead is skipped, not handed out')
  let jobs = await syncJobs(app)
  t.same(jobs.map(j => j.payload), [{ clientId: client.id, campaignId: campaign.id, leadIds: [ids.get('phoneless')] }], 'its completed enrollment is mirrored')

  await app.ctx.pool.query('delete from graphile_worker._private_jobs')
  const bySent = (lead: string) => handed.find(d => d.leadId === ids.get(lead)).id
  t.match(await results(app, client.headers, { results: [{ id: bySent('sent'), outcome: 'sent' }, { id: bySent('failed'), outcome: 'failed', retryable: false }] }), { applied: 2 })
  const { rows } = await app.ctx.pool.query('select status from enrollments where campaign_id = $1 and lead_id = any($2) order by status', [campaign.id, [ids.get('sent'), ids.get('failed')]])
  t.same(rows.map(r => r.status), ['completed', 'stopped'])
  jobs = await syncJobs(app)
  t.equal(jobs.length, 1, 'one batch for the campaign')
  t.same(new Set(jobs[0]?.payload.leadIds), new Set([ids.get('sent'), ids.get('failed')]), 'completed and stopped alike')

  await app.ctx.pool.query('delete from graphile_worker._private_jobs')
  t.match(await results(app, client.headers, { results: [{ id: bySent('sent'), outcome: 'sent' }] }), { applied: 0, unchanged: 1 })
  t.same(await syncJobs(app), [], 'a repeat ends nothing and queues nothing')
})

t.test('a client without Airtable settings: the same drain queues nothing', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await app.createClient()
  const ids = await threeLeads(app, client)
  await createCampaign(app, client.headers, { targeting: { tags: ['m'] }, messages: [{ body: 'Only one', delayMinutes: 0 }] })
  const handed = await claim(app, client.headers, { limit: 10 })
  t.equal(handed.length, 2)
  t.match(await results(app, client.headers, { results: handed.map(d => ({ id: d.id, outcome: 'sent' })) }), { applied: 2 })
  const { rows } = await app.ctx.pool.query(`select count(*)::int as n from enrollments where client_id = $1 and status = 'completed'`, [client.id])
  t.equal(rows[0].n, 3, `all ended (${[...ids.keys()].join(', ')})`)
  t.same(await syncJobs(app), [])
})
