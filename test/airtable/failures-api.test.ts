import { sql } from 'kysely'
import t from 'tap'
import { resolveSyncFailures } from '../../src/airtable/repository.js'
import { queueAirtableSync } from '../../src/airtable/sync-queue.js'
import { airtableEnv, airtableStandIn, eventually, metricValue, seedEnrollments, syncJobs, airtableClient } from '../helpers/airtable.js'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'

t.test('a batch that fails every attempt is kept, listed for its client, counted, and synced when retried', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', AIRTABLE_MAX_ATTEMPTS: '2' }) })
  const alice = await airtableClient(app, 'Alice')
  const bob = await airtableClient(app, 'Bob')
  standIn.mode = '500'
  const seeded = await seedEnrollments(app, alice.id, { leads: 12 })
  const list = async (headers: Record<string, string>, query = '') => await app.api.inject({ method: 'GET', url: `/v1/sync/failures${query}`, headers })
  await eventually(async () => (await list(alice.headers)).json().data.length === 2, 'both batches kept as failed')
  t.equal(standIn.requests.length, 4, 'two attempts per batch')
  // The worker deletes a job just after its handler has kept the failure, so wait for that.
  await eventually(async () => (await syncJobs(app)).length === 0, 'the finished jobs to leave the queue')
  t.same(await syncJobs(app), [], 'the queue holds nothing for them any more')

  const failures = (await list(alice.headers)).json<{ data: Array<{ id: string, campaignId: string, leadIds: string[], attempts: number, lastError: string, failedAt: string }> }>().data
  t.same(new Set(failures.flatMap(f => f.leadIds)), new Set(seeded.leadIds), 'no record dropped')
  t.ok(failures.every(f => f.campaignId === seeded.campaignId && f.attempts === 2 && f.lastError.startsWith('Airtable answered 500 (SERVER_ERROR)')), JSON.stringify(failures.map(f => f.lastError)))
  t.equal(await metricValue(app, 'airtable_sync_batches_failed_total'), 2)
  t.equal(await metricValue(app, 'airtable_sync_failures_kept'), 2)

  t.same((await list(bob.headers)).json().data, [], 'another client sees none')
  const [first, second] = failures
  t.equal((await app.api.inject({ method: 'POST', url: `/v1/sync/failures/${first?.id}/retry`, headers: bob.headers })).statusCode, 404)

  // Pagination, and the campaign filter.
  const page1 = (await list(alice.headers, '?limit=1')).json()
  t.equal(page1.data.length, 1)
  const page2 = (await list(alice.headers, `?limit=1&cursor=${page1.nextCursor}`)).json()
  t.same([page1.data[0].id, page2.data[0].id], [first?.id, second?.id])
  t.equal(page2.nextCursor, null)
  t.equal((await list(alice.headers, `?campaignId=${bob.id}`)).json().data.length, 0)
  t.equal((await list(alice.headers, '?campaignId=nope')).statusCode, 400)

  standIn.mode = 'ok'
  const retried = await app.api.inject({ method: 'POST', url: `/v1/sync/failures/${first?.id}/retry`, headers: alice.headers })
  t.equal(retried.statusCode, 202)
  t.same(retried.json(), { id: first?.id, jobsQueued: 1 })
  t.equal((await app.api.inject({ method: 'POST', url: `/v1/sync/failures/${first?.id}/retry`, headers: alice.headers })).statusCode, 404, 'taken once')
  await standIn.waitFor(() => standIn.records.size === first?.leadIds.length, 30_000, 'the retried batch')
  t.equal((await list(alice.headers)).json().data.length, 1, 'the other failure is still kept')

  // A later sync that covers a kept batch's leads settles it too (e.g. after an opt-out).
  await app.ctx.db.transaction().execute(async tx => await queueAirtableSync(tx, app.config, { campaignId: seeded.campaignId, leadIds: second?.leadIds ?? [] }))
  await eventually(async () => (await list(alice.headers)).json().data.length === 0, 'the second failure settled')
  t.equal(standIn.records.size, 12)
  t.equal(await metricValue(app, 'airtable_sync_failures_kept'), 0)
})

t.test('retrying needs the client\'s Airtable settings; listing does not', async t => {
  const app = await buildTestApp(t)
  const client = await app.createClient()
  const seeded = await seedEnrollments(app, client.id, { leads: 1 })
  const { rows: [failure] } = await sql<{ id: string }>`
    insert into airtable_sync_failures (client_id, campaign_id, lead_ids, attempts, last_error)
    values (${client.id}, ${seeded.campaignId}, ${seeded.leadIds}::uuid[], 10, 'Airtable answered 500') returning id`.execute(app.ctx.db)
  const list = await app.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: client.headers })
  t.equal(list.json().data.length, 1)
  const retry = await app.api.inject({ method: 'POST', url: `/v1/sync/failures/${failure?.id}/retry`, headers: client.headers })
  t.equal(retry.statusCode, 503)
  t.match(retry.headers['content-type'], /application\/problem\+json/)
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: client.headers })).json().data.length, 1, 'kept')
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/sync/failures' })).statusCode, 401)
  t.equal((await app.api.inject({ method: 'POST', url: '/v1/sync/failures/not-a-uuid/retry', headers: client.headers })).statusCode, 400)
})

t.test('a record Airtable refuses is kept at once with Airtable\'s reason; the rest of its batch syncs', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true' }) })
  const alice = await airtableClient(app, 'Alice')
  standIn.isUnknownRecord = id => id.endsWith('000004') // the 4th seeded lead's record (set before any job runs)
  const seeded = await seedEnrollments(app, alice.id, { leads: 10 })
  const [badLead, badRecord] = [...seeded.recordIds.entries()].find(([, record]) => record.endsWith('000004')) ?? []
  const list = async () => (await app.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: alice.headers })).json<{ data: Array<{ leadIds: string[], attempts: number, lastError: string }> }>().data
  await eventually(async () => (await list()).length === 1 && standIn.records.size === 9, 'nine records synced and one kept')
  const [failure] = await list()
  t.same(failure?.leadIds, [badLead], 'only the refused lead is kept')
  t.equal(failure?.attempts, 1, 'kept after one attempt: the same request would fail again')
  t.match(failure?.lastError, `Airtable answered 404 (NOT_FOUND): Record ${badRecord ?? ''} does not exist`)
  t.notOk(standIn.records.has(badRecord ?? ''))
  t.equal(await metricValue(app, 'airtable_sync_retries_total', '{reason="split"}'), 1)
})

t.test('a page cursor keeps its place when the failure it names is settled; settled rows go after a day', async t => {
  const app = await buildTestApp(t)
  const client = await app.createClient()
  const seeded = await seedEnrollments(app, client.id, { leads: 3 })
  for (const [i, leadId] of seeded.leadIds.entries()) {
    await sql`
      insert into airtable_sync_failures (client_id, campaign_id, lead_ids, attempts, last_error, failed_at)
      values (${client.id}, ${seeded.campaignId}, ${[leadId]}::uuid[], 10, 'Airtable answered 500', now() - make_interval(mins => ${10 - i}))`.execute(app.ctx.db)
  }
  const page = async (query: string) => (await app.api.inject({ method: 'GET', url: `/v1/sync/failures${query}`, headers: client.headers })).json()
  const first = await page('?limit=1')
  t.same(first.data[0].leadIds, [seeded.leadIds[0]])
  // The failure the cursor names is settled (a later sync wrote its lead).
  await resolveSyncFailures(app.ctx.db, client.id, [seeded.leadIds[0] ?? ''])
  const second = await page(`?limit=1&cursor=${first.nextCursor}`)
  t.same(second.data.map((f: { leadIds: string[] }) => f.leadIds[0]), [seeded.leadIds[1]], 'the next page is still there')
  t.same((await page('')).data.length, 2, 'a settled failure is no longer listed')

  await app.ctx.pool.query("update airtable_sync_failures set resolved_at = now() - interval '25 hours' where resolved_at is not null")
  await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from airtable_sync_failures')
  t.equal(rows[0].n, 2, 'the tick purged the settled one')
})

t.test('a last attempt that fails on our own database still keeps the batch as failed', async t => {
  const standIn = await airtableStandIn(t)
  const env = airtableEnv(standIn, { AIRTABLE_MAX_ATTEMPTS: '1' })
  const seeder = await buildTestApp(t, { env: { ...env, WORKER_ENABLED: 'false' } })
  const client = await airtableClient(seeder)
  const seeded = await seedEnrollments(seeder, client.id, { leads: 2 })
  // The job's read of the leads fails (the table is away) on its first and last attempt.
  await seeder.ctx.pool.query('alter table leads rename to leads_away')
  t.teardown(async () => { await seeder.ctx.pool.query('alter table if exists leads_away rename to leads') })
  await buildTestApp(t, { databaseUrl: seeder.databaseUrl, env: { ...env, WORKER_ENABLED: 'true' } })
  await eventually(async () => (await seeder.ctx.pool.query('select 1 from airtable_sync_failures')).rows.length === 1, 'the batch kept')
  await seeder.ctx.pool.query('alter table leads_away rename to leads')
  const failures = (await seeder.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: client.headers })).json().data
  t.match(failures, [{ campaignId: seeded.campaignId, attempts: 1, lastError: /^could not sync: relation "leads" does not exist/ }])
  t.same(new Set(failures[0].leadIds), new Set(seeded.leadIds), 'its leads, nothing dropped')
  t.equal(standIn.requests.length, 0, 'nothing was sent')
})
