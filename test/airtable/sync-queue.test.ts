import { Kysely, PostgresDialect, sql } from 'kysely'
import t from 'tap'
import { queueAirtableSync } from '../../src/airtable/sync-queue.js'
import type { DB } from '../../src/db/schema.js'
import { airtableStandIn, airtableEnv, seedEnrollments, syncJobs, airtableClient } from '../helpers/airtable.js'
import { buildTestApp } from '../helpers/app.js'

// Queueing only: the worker is off (buildTestApp's default), so jobs stay in the table to inspect.

t.test('one job per batch of at most 10 leads that have an Airtable record, in the enrollment transaction', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { AIRTABLE_MAX_ATTEMPTS: '7' }) })
  const client = await airtableClient(app)
  const seeded = await seedEnrollments(app, client.id, { leads: 30, withRecord: 23 })
  t.equal(seeded.queued, 3, '23 leads with records → batches of 10, 10, 3')
  const jobs = await syncJobs(app)
  t.same(jobs.map(j => j.payload.leadIds.length).sort(), [10, 10, 3])
  const queuedLeads = jobs.flatMap(j => j.payload.leadIds)
  t.same(new Set(queuedLeads), new Set(seeded.recordIds.keys()), 'exactly the leads with a record, each once')
  t.ok(jobs.every(j => j.payload.campaignId === seeded.campaignId && j.payload.clientId === client.id))
  t.ok(jobs.every(j => j.max_attempts === 7), 'AIRTABLE_MAX_ATTEMPTS is the job limit')
  t.ok(jobs.every(j => j.key?.startsWith(`airtable-sync:${client.id}:${seeded.campaignId}:`)))
  t.equal(standIn.requests.length, 0, 'nothing is sent while the transaction runs')

  // Queueing the same enrollments again coalesces by job key instead of piling up jobs.
  const again = await app.ctx.db.transaction().execute(async tx => await queueAirtableSync(tx, app.config, { campaignId: seeded.campaignId, leadIds: seeded.leadIds }))
  t.equal(again, 3)
  t.equal((await syncJobs(app)).length, 3, 'still three jobs')
})

t.test('a rolled-back enrollment leaves no job; a committed one keeps them', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const rolledBack = await seedEnrollments(app, client.id, { leads: 12, rollback: true })
  t.equal(rolledBack.queued, 2, 'jobs were queued inside the transaction')
  t.same(await syncJobs(app), [], 'and are gone with the rollback')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from campaigns`.execute(app.ctx.db)
  t.equal(rows[0]?.n, 0, 'the enrollment rolled back too')

  await seedEnrollments(app, client.id, { leads: 12 })
  t.equal((await syncJobs(app)).length, 2)
})

t.test('a client without Airtable settings is not mirrored: nothing queued, by enrollment or by opt-out', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const mirrored = await airtableClient(app)
  const client = await app.createClient()
  const seeded = await seedEnrollments(app, client.id, { leads: 5 })
  t.equal(seeded.queued, 0)
  const optOut = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${seeded.leadIds[0]}`, headers: client.headers, payload: { optedOut: true } })
  t.equal(optOut.statusCode, 200)
  t.same(await syncJobs(app), [], 'graphile_worker holds no sync job')
  t.equal((await seedEnrollments(app, mirrored.id, { leads: 5 })).queued, 1, 'the client with settings is mirrored')
})

t.test('opting out (PATCH or bulk import) stops the enrollment and queues its Airtable update', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const first = await seedEnrollments(app, client.id, { leads: 3, name: 'First' })
  const second = await seedEnrollments(app, client.id, { leads: 3, name: 'Second' })
  await sql`delete from graphile_worker._private_jobs`.execute(app.ctx.db)

  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${first.leadIds[0]}`, headers: client.headers, payload: { optedOut: true } })
  t.equal(patched.statusCode, 200)
  let jobs = await syncJobs(app)
  t.equal(jobs.length, 1)
  t.same(jobs[0]?.payload, { clientId: client.id, campaignId: first.campaignId, leadIds: [first.leadIds[0]] })

  // One import opting out leads of two campaigns: one statement queues one job per campaign.
  const { rows } = await sql<{ external_id: string }>`select external_id from leads where id = any(${[first.leadIds[1], second.leadIds[0], second.leadIds[1]]}::uuid[])`.execute(app.ctx.db)
  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: client.headers, payload: { leads: rows.map(r => ({ externalId: r.external_id, firstName: 'Out', optedOut: true })) } })
  t.equal(imported.statusCode, 200)
  jobs = await syncJobs(app)
  t.equal(jobs.length, 3)
  const secondJob = jobs.find(j => j.payload.campaignId === second.campaignId)
  t.same(new Set(secondJob?.payload.leadIds), new Set([second.leadIds[0], second.leadIds[1]]))
  const { rows: statuses } = await sql<{ status: string }>`select status from enrollments where lead_id = ${second.leadIds[0]}`.execute(app.ctx.db)
  t.same(statuses, [{ status: 'stopped' }])
})

t.test('queueing a 25,000-lead engine chunk is one statement', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const seeded = await seedEnrollments(app, client.id, { leads: 25000, withRecord: 24995 })
  t.equal(seeded.queued, 2500)
  const jobs = await syncJobs(app)
  t.equal(jobs.length, 2500)
  t.ok(jobs.every(j => j.payload.leadIds.length <= 10))
  t.equal(new Set(jobs.flatMap(j => j.payload.leadIds)).size, 24995)

  // The same chunk again (coalescing with the pending jobs), counting the statements it sends.
  const statements: string[] = []
  const logged = new Kysely<DB>({ dialect: new PostgresDialect({ pool: app.ctx.pool }), log: event => { statements.push(event.query.sql) } })
  await logged.transaction().execute(async tx => {
    statements.length = 0
    t.equal(await queueAirtableSync(tx, app.config, { campaignId: seeded.campaignId, leadIds: seeded.leadIds }), 2500)
    t.equal(statements.length, 1, 'one round trip, not one per batch')
  })
  t.equal((await syncJobs(app)).length, 2500)
})
