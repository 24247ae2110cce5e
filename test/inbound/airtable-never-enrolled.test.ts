import { sql } from 'kysely'
import t from 'tap'
import { startWorker } from '../../src/jobs/worker.js'
import { airtableClient, airtableEnv, airtableStandIn, eventually, metricValue, syncJobs } from '../helpers/airtable.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { type Headers, leadsWithPhones, postInbound } from './helpers.js'

// Leads with an Airtable record that were never enrolled: STOP / START still mirror their
// `Opted Out` checkbox (and only it), queued in the opt-out's transaction, per client.

async function withRecord (app: Parameters<typeof leadsWithPhones>[0], headers: Headers, id: string | undefined, recordId: string): Promise<void> {
  const response = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers, payload: { airtableRecordId: recordId } })
  if (response.statusCode !== 200) throw new Error(`PATCH failed: ${response.body}`)
}

t.test('STOP and START from a lead never enrolled write its Opted Out checkbox alone; a lead without a record queues nothing', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) }) // worker off: the queue is read first
  const client = await airtableClient(app)
  const ids = await leadsWithPhones(app, client.headers, [{ externalId: 'a', phone: '+12133734253' }, { externalId: 'b', phone: '+12133734254' }])
  await withRecord(app, client.headers, ids.a, 'recNEVER')

  t.equal((await postInbound(app, client.headers, { from: '+12133734254', body: 'STOP' })).json().action, 'opted_out')
  t.same(await syncJobs(app), [], 'a lead without an Airtable record queues nothing')

  t.equal((await postInbound(app, client.headers, { from: '+12133734253', body: 'STOP' })).json().action, 'opted_out')
  const jobs = await syncJobs(app)
  t.equal(jobs.length, 1, 'one job for the lead never enrolled')
  t.same(jobs[0]?.payload, { clientId: client.id, campaignId: null, leadIds: [ids.a] })
  t.ok(jobs[0]?.key?.startsWith(`airtable-sync:${client.id}:leads:`), 'keyed under its client, so a DELETE of the settings drops it')

  const running = await startWorker(app.ctx)
  t.teardown(running.stop)
  await standIn.waitFor(() => standIn.records.get('recNEVER')?.['Opted Out'] === true, 30_000, 'STOP mirrored')
  t.same(standIn.records.get('recNEVER'), { 'Opted Out': true }, 'only the checkbox: there is no campaign to write')
  t.same(standIn.requests.map(r => [r.baseId, r.recordIds]), [[client.baseId, ['recNEVER']]], 'one PATCH, to the client\'s own base')

  t.equal((await postInbound(app, client.headers, { from: '+12133734253', body: ' start ' })).json().action, 'opted_in')
  await standIn.waitFor(() => standIn.records.get('recNEVER')?.['Opted Out'] === false, 30_000, 'START mirrored')
  t.same(standIn.records.get('recNEVER'), { 'Opted Out': false })
  t.ok(standIn.requests.every(r => r.recordIds.length === 1 && r.recordIds[0] === 'recNEVER'), 'no request for the lead without a record')
})

t.test('no settings, no job; a rolled-back opt-out queues nothing', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const bare = await app.createClient('No Airtable')
  const bareIds = await leadsWithPhones(app, bare.headers, [{ externalId: 'a', phone: '+12133734253' }])
  await withRecord(app, bare.headers, bareIds.a, 'recBARE')
  t.equal((await postInbound(app, bare.headers, { from: '+12133734253', body: 'STOP' })).json().action, 'opted_out')
  t.equal((await postInbound(app, bare.headers, { from: '+12133734253', body: 'START' })).json().action, 'opted_in')
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/leads/${bareIds.a}`, headers: bare.headers, payload: { optedOut: true } })).statusCode, 200)
  t.same(await syncJobs(app), [], 'a client without Airtable settings is not mirrored')

  const client = await airtableClient(app)
  const ids = await leadsWithPhones(app, client.headers, [{ externalId: 'a', phone: '+12133734253' }])
  await withRecord(app, client.headers, ids.a, 'recROLLBACK')
  // The message log row is written last in the opt-out's transaction: failing it rolls back the rest.
  await sql`
    create function refuse_inbound () returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
    create trigger refuse_inbound before insert on inbound_messages for each row execute function refuse_inbound();`.execute(app.ctx.db)
  t.equal((await postInbound(app, client.headers, { from: '+12133734253', body: 'STOP' })).statusCode, 500)
  t.same(await syncJobs(app), [], 'the rolled-back opt-out left no job')
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/leads/${ids.a}`, headers: client.headers })).json().optedOut, false, 'and no opt-out')

  await sql`drop trigger refuse_inbound on inbound_messages`.execute(app.ctx.db)
  t.equal((await postInbound(app, client.headers, { from: '+12133734253', body: 'STOP' })).json().action, 'opted_out')
  t.same((await syncJobs(app)).map(job => job.payload), [{ clientId: client.id, campaignId: null, leadIds: [ids.a] }], 'committed: queued with it')
})

t.test('an opt-out queued before the lead\'s first enrollment writes the state as of its run, never a stale one', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const ids = await leadsWithPhones(app, client.headers, [{ externalId: 'a', phone: '+12133734253', tags: ['x'] }])
  await withRecord(app, client.headers, ids.a, 'recLATER')
  await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.a}`, headers: client.headers, payload: { optedOut: true } })
  await postInbound(app, client.headers, { from: '+12133734253', body: 'START' })
  t.equal((await syncJobs(app)).length, 1, 'the opt-in coalesced with the opt-out waiting under the same key')
  await createCampaign(app, client.headers, { name: 'Nurture', targeting: { tags: ['x'] } })
  t.equal((await syncJobs(app)).length, 2, 'the enrollment queued its own')

  const running = await startWorker(app.ctx)
  t.teardown(running.stop)
  await eventually(async () => (await syncJobs(app)).length === 0, 'both jobs done')
  t.match(standIn.records.get('recLATER'), { Campaign: 'Nurture', 'Campaign Status': 'active', 'Opted Out': false }, 'whichever ran last wrote the current state')
})

t.test('a lead never enrolled whose record Airtable refuses: kept as failed without a campaign, counted, and retried', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true' }) })
  const client = await airtableClient(app)
  const ids = await leadsWithPhones(app, client.headers, [{ externalId: 'a', phone: '+12133734253' }])
  await withRecord(app, client.headers, ids.a, 'recGONE')
  standIn.isUnknownRecord = id => id === 'recGONE'
  await postInbound(app, client.headers, { from: '+12133734253', body: 'STOP' })
  const list = async (query = '') => (await app.api.inject({ method: 'GET', url: `/v1/sync/failures${query}`, headers: client.headers })).json()
  await eventually(async () => (await list()).data.length === 1, 'the failure kept')
  const [failure] = (await list()).data
  t.match(failure, { campaignId: null, leadIds: [ids.a], attempts: 1, lastError: /^Airtable answered 404/ })
  t.equal(await metricValue(app, 'airtable_sync_batches_failed_total'), 1)
  t.equal(await metricValue(app, 'airtable_sync_failures_kept'), 1)
  t.same((await list(`?campaignId=${client.id}`)).data, [], 'not listed under a campaign')

  standIn.isUnknownRecord = () => false
  const retried = await app.api.inject({ method: 'POST', url: `/v1/sync/failures/${failure.id}/retry`, headers: client.headers })
  t.same(retried.json(), { id: failure.id, jobsQueued: 1 })
  await standIn.waitFor(() => standIn.records.get('recGONE')?.['Opted Out'] === true, 30_000, 'the retried checkbox')
  t.same((await list()).data, [])
})

t.test('the other opt-out paths mirror a lead never enrolled the same way: PATCH and import', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true' }) })
  const client = await airtableClient(app)
  const ids = await leadsWithPhones(app, client.headers, [{ externalId: 'a', phone: '+12133734253' }])
  await withRecord(app, client.headers, ids.a, 'recPATCH')
  await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.a}`, headers: client.headers, payload: { optedOut: true } })
  await standIn.waitFor(() => standIn.records.get('recPATCH')?.['Opted Out'] === true, 30_000, 'PATCH opt-out mirrored')
  const bulk = async (leads: unknown[]) => await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: client.headers, payload: { leads } })
  await bulk([{ externalId: 'a', firstName: 'L', optedOut: false }, { externalId: 'new', firstName: 'N', optedOut: true, airtableRecordId: 'recIMPORTED' }])
  await standIn.waitFor(() => standIn.records.get('recPATCH')?.['Opted Out'] === false, 30_000, 'import opt-in mirrored')
  await standIn.waitFor(() => standIn.records.get('recIMPORTED')?.['Opted Out'] === true, 30_000, 'a lead imported opted out mirrored')
  t.same([standIn.records.get('recPATCH'), standIn.records.get('recIMPORTED')], [{ 'Opted Out': false }, { 'Opted Out': true }])
  t.ok(standIn.requests.every(r => r.baseId === client.baseId))
})
