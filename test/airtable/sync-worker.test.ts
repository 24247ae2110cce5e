import { sql } from 'kysely'
import t from 'tap'
import { queueAirtableSync } from '../../src/airtable/sync-queue.js'
import { startWorker } from '../../src/jobs/worker.js'
import { airtableEnv, airtableStandIn, eventually, metricValue, seedEnrollments, syncJobs, airtableClient } from '../helpers/airtable.js'
import { buildTestApp } from '../helpers/app.js'

const worker = { WORKER_ENABLED: 'true', WORKER_CONCURRENCY: '4' }

t.test('the worker mirrors campaign, status and enrolledAt in requests of at most 10 records', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { ...worker, AIRTABLE_FIELD_STATUS: 'Nurture Status' }) })
  const client = await airtableClient(app)
  const seeded = await seedEnrollments(app, client.id, { leads: 27, withRecord: 25, name: 'Welcome series' })
  await standIn.waitFor(() => standIn.records.size === 25, 30_000, '25 records mirrored')
  t.equal(standIn.requests.length, 3)
  t.ok(standIn.requests.every(r => r.recordIds.length <= 10 && r.table === 'Leads' && r.baseId === client.baseId))
  const { rows } = await sql<{ lead_id: string, enrolled_at: Date }>`select lead_id, enrolled_at from enrollments`.execute(app.ctx.db)
  for (const row of rows) {
    const recordId = seeded.recordIds.get(row.lead_id)
    if (recordId === undefined) continue
    t.same(standIn.records.get(recordId), { Campaign: 'Welcome series', 'Nurture Status': 'active', 'Enrolled At': row.enrolled_at.toISOString(), 'Opted Out': false })
  }
  await eventually(async () => (await syncJobs(app)).length === 0, 'the queue drained')
  t.equal(await metricValue(app, 'airtable_sync_batches_synced_total'), 3)
  t.equal(await metricValue(app, 'airtable_sync_records_synced_total'), 25)
  t.equal(await metricValue(app, 'airtable_sync_queue_depth', '{state="ready"}'), 0)
})

t.test('a job reads the state when it runs, so late and replayed jobs write the same current fields', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) }) // worker off while we change things
  const client = await airtableClient(app)
  const seeded = await seedEnrollments(app, client.id, { leads: 4, name: 'Old name' })
  t.equal(await metricValue(app, 'airtable_sync_queue_depth', '{state="ready"}'), 1, 'queue depth on /metrics')
  // After queueing: the campaign is renamed and one enrollment stops (e.g. opt-out).
  await sql`update campaigns set name = 'New name' where id = ${seeded.campaignId}`.execute(app.ctx.db)
  await sql`update enrollments set status = 'stopped' where lead_id = ${seeded.leadIds[0]}`.execute(app.ctx.db)
  const running = await startWorker(app.ctx)
  t.teardown(running.stop)
  await standIn.waitFor(() => standIn.records.size === 4, 30_000, 'records mirrored')
  const first = seeded.recordIds.get(seeded.leadIds[0] ?? '') ?? ''
  const second = seeded.recordIds.get(seeded.leadIds[1] ?? '') ?? ''
  t.match(standIn.records.get(first), { Campaign: 'New name', 'Campaign Status': 'stopped' })
  t.match(standIn.records.get(second), { Campaign: 'New name', 'Campaign Status': 'active' })
  const before = JSON.stringify([...standIn.records])

  // Replaying the same job writes identical fields.
  await app.ctx.db.transaction().execute(async tx => await queueAirtableSync(tx, app.config, { campaignId: seeded.campaignId, leadIds: seeded.leadIds }))
  await standIn.waitFor(() => standIn.requests.length === 2, 30_000, 'the replay')
  t.equal(JSON.stringify([...standIn.records]), before)
})

t.test('a lead enrolled in a later campaign: a late job of the earlier campaign does not overwrite it', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const earlier = await seedEnrollments(app, client.id, { leads: 1, name: 'Earlier', status: 'completed' })
  const lead = earlier.leadIds[0] ?? ''
  await sql`update enrollments set enrolled_at = now() - interval '2 days' where lead_id = ${lead}`.execute(app.ctx.db)
  const { rows: [later] } = await sql<{ id: string }>`
    insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes) values (${client.id}, 'Later', 'active', '{}', '[]', 60) returning id`.execute(app.ctx.db)
  await sql`insert into enrollments (campaign_id, lead_id, client_id, completes_at) values (${later?.id}, ${lead}, ${client.id}, now() + interval '1 hour')`.execute(app.ctx.db)
  const running = await startWorker(app.ctx)
  t.teardown(running.stop)
  await standIn.waitFor(() => standIn.requests.length === 1, 30_000, 'the earlier campaign\'s job')
  t.match(standIn.records.get(earlier.recordIds.get(lead) ?? ''), { Campaign: 'Later', 'Campaign Status': 'active' })
})

t.test('Airtable answering 500: jobs retry with backoff and the mirror completes after recovery', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, worker) })
  const client = await airtableClient(app)
  standIn.mode = '500'
  const seeded = await seedEnrollments(app, client.id, { leads: 30 })
  await eventually(async () => {
    const jobs = await syncJobs(app)
    return jobs.length === 3 && jobs.every(j => j.attempts === 1 && j.locked_at === null)
  }, 'each job failed once')
  const jobs = await syncJobs(app)
  t.ok(jobs.every(j => j.last_error?.startsWith('Airtable answered 500 (SERVER_ERROR)')), JSON.stringify(jobs.map(j => j.last_error)))
  t.ok(jobs.every(j => j.run_at.getTime() > Date.now()), 'retries are scheduled later (exponential backoff)')
  t.equal(await metricValue(app, 'airtable_sync_retries_total', '{reason="error"}'), 3)
  t.equal(await metricValue(app, 'airtable_sync_queue_depth', '{state="delayed"}'), 3)
  t.equal(standIn.records.size, 0)

  standIn.mode = 'ok'
  await eventually(async () => (await syncJobs(app)).length === 0, 'every job done')
  t.equal(standIn.records.size, 30)
  for (const recordId of seeded.recordIds.values()) t.match(standIn.records.get(recordId), { Campaign: 'Spring nurture', 'Campaign Status': 'active' })
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from airtable_sync_failures`.execute(app.ctx.db)
  t.equal(rows[0]?.n, 0, 'nothing was given up')
})

t.test('dropped connections and answers slower than AIRTABLE_TIMEOUT_MS are retried too', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { ...worker, AIRTABLE_TIMEOUT_MS: '300' }) })
  const client = await airtableClient(app)
  const failedWith = async (campaignId: string, message: string) => await eventually(async () =>
    (await syncJobs(app)).some(j => j.payload.campaignId === campaignId && j.last_error === message && j.locked_at === null), message)
  standIn.mode = 'reset'
  const dropped = await seedEnrollments(app, client.id, { leads: 2, name: 'Dropped' })
  await failedWith(dropped.campaignId, 'could not reach Airtable')
  standIn.mode = 'slow'
  standIn.slowMs = 1500
  const slow = await seedEnrollments(app, client.id, { leads: 2, name: 'Slow' })
  await failedWith(slow.campaignId, 'Airtable did not answer in time')
  // A 200 that is not JSON (a proxy's page) once crashed the process inside airtable.js; a body
  // that never ends once held the job (and its worker slot) for good.
  standIn.mode = 'not-json'
  const garbled = await seedEnrollments(app, client.id, { leads: 2, name: 'Garbled' })
  await failedWith(garbled.campaignId, 'Airtable answered 200 (UNEXPECTED_ERROR): The response from Airtable was invalid JSON. Please try again soon.')
  standIn.mode = 'stalled-body'
  const stalled = await seedEnrollments(app, client.id, { leads: 2, name: 'Stalled' })
  await failedWith(stalled.campaignId, 'Airtable did not answer in time')

  standIn.mode = 'ok'
  await eventually(async () => (await syncJobs(app)).length === 0, 'all jobs done')
  t.match(standIn.records.get([...garbled.recordIds.values()][0] ?? ''), { Campaign: 'Garbled' })
  t.match(standIn.records.get([...stalled.recordIds.values()][0] ?? ''), { Campaign: 'Stalled' })
  t.match(standIn.records.get([...dropped.recordIds.values()][0] ?? ''), { Campaign: 'Dropped' })
  t.match(standIn.records.get([...slow.recordIds.values()][0] ?? ''), { Campaign: 'Slow' })
  t.equal(standIn.requests[0]?.status, 'reset')
  t.ok(standIn.requests.length >= 4, 'each job was sent again after its failure')
})

t.test('stopping the worker while a job waits out a 429 pause puts that job back without using an attempt', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const running = await startWorker(app.ctx)
  standIn.mode = '429'
  await seedEnrollments(app, client.id, { leads: 1, name: 'Throttled' })
  await standIn.waitFor(() => standIn.requests.length === 1, 30_000, 'the 429')
  const waiting = await seedEnrollments(app, client.id, { leads: 1, name: 'Waiting' })
  await eventually(async () => (await syncJobs(app)).some(j => j.payload.campaignId === waiting.campaignId && j.locked_at !== null), 'the second job to start waiting')
  await running.stop() // graceful: interrupts the wait after graphile-worker's abort timeout
  t.equal(standIn.requests.length, 1, 'nothing more was sent during the pause')
  const job = (await syncJobs(app)).find(j => j.payload.campaignId === waiting.campaignId)
  t.match(job, { attempts: 0, locked_at: null, last_error: null }, 'queued again, untouched')
  t.equal((await syncJobs(app)).length, 2, 'the interrupted run left no locked copy behind')
})

t.test('a stale write that lands after a fresh one is corrected: Airtable ends with the last state', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { ...worker, WORKER_CONCURRENCY: '2' }) })
  const client = await airtableClient(app)
  // The first write (status active) is held 1.5 s; the opt-out's write (stopped) overtakes it.
  standIn.slowNext = 1
  standIn.slowMs = 1500
  const seeded = await seedEnrollments(app, client.id, { leads: 1 })
  const [leadId] = seeded.leadIds
  const recordId = seeded.recordIds.get(leadId ?? '') ?? ''
  await standIn.waitFor(() => standIn.requests.length === 1, 10_000, 'the slow first write')
  const optOut = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${leadId ?? ''}`, headers: client.headers, payload: { optedOut: true } })
  t.equal(optOut.statusCode, 200)
  await eventually(async () => (await syncJobs(app)).length === 0 && standIn.requests.length >= 3, 'the follow-up write', 20_000)
  t.match(standIn.records.get(recordId), { 'Campaign Status': 'stopped' }, 'Airtable shows the state the database has')
  t.ok(standIn.requests.filter(r => r.status === 200).length >= 3, 'the stale write was followed by a fresh one')
})
