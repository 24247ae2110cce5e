import pg from 'pg'
import t from 'tap'
import { campaignLockKey } from '../../src/db/locks.js'
import { CRON_SECRET, buildTestApp, type TestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

const FUTURE = '2999-01-01T00:00:00Z'
const tick = async (app: TestApp, token = CRON_SECRET) =>
  await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${token}` } })

/** A scheduled campaign made due `ageMinutes` ago (created through the API, then moved back in time). */
async function dueCampaign (app: TestApp, headers: Record<string, string>, body: Record<string, unknown> = {}, ageMinutes = 1): Promise<string> {
  const response = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'scheduled', messages: oneMessage, startAt: FUTURE, ...body } })
  if (response.statusCode !== 201) throw new Error(response.body)
  const id = response.json<{ id: string, status: string }>().id
  await app.ctx.pool.query(`update campaigns set start_at = now() - make_interval(mins => $2) where id = $1`, [id, ageMinutes])
  return id
}

const status = async (app: TestApp, id: string): Promise<{ status: string, leads_enrolled: number }> =>
  (await app.ctx.pool.query('select status, leads_enrolled from campaigns where id = $1', [id])).rows[0]

t.test('auth: secret required, compared whatever its length; 503 when unset; internal listener only', async t => {
  const app = await buildTestApp(t)
  t.equal((await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled' })).statusCode, 401)
  t.equal((await tick(app, 'x')).statusCode, 401)
  t.equal((await tick(app, CRON_SECRET.replace(/.$/, '!'))).statusCode, 401)
  t.equal((await tick(app, CRON_SECRET + 'x')).statusCode, 401)
  t.equal((await tick(app)).statusCode, 200)
  t.equal((await app.api.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })).statusCode, 404, 'not on the public port')
  t.equal((await app.api.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
  t.equal((await app.internal.inject({ method: 'GET', url: '/v1/leads' })).statusCode, 404, 'the API is not on the internal port')
  const unset = await buildTestApp(t, { env: { CRON_SECRET: undefined } })
  const response = await tick(unset)
  t.equal(response.statusCode, 503)
  t.match(response.headers['content-type'], /problem\+json/)
})

t.test('activates due campaigns through the enrollment engine; not-due stay scheduled; old ones expire', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], icpScore: 10 }, { externalId: 'b', tags: ['x'], icpScore: 90 }, { externalId: 'c', tags: ['y'] }])
  const due = await dueCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 1 })
  const expired = await dueCampaign(app, headers, { targeting: { tags: ['y'] } }, 31 * 24 * 60)
  const later = (await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'later', messages: oneMessage, startAt: FUTURE } })).json().id

  const response = await tick(app)
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body.activated, [{ campaignId: due, enrolled: 1, totalMatching: 2, warning: { reason: 'enrollment_cap', remaining: 1 } }])
  t.same(body.expired, [expired])
  t.same(body.skipped, [])
  t.same(body.failed, [])
  t.equal(body.remaining, 0)
  t.match(await status(app, due), { status: 'active', leads_enrolled: 1 })
  t.match(await status(app, expired), { status: 'expired', leads_enrolled: 0 })
  t.match(await status(app, later), { status: 'scheduled' })
  const enrolled = await app.ctx.pool.query('select l.external_id from enrollments e join leads l on l.id = e.lead_id')
  t.same(enrolled.rows.map(r => r.external_id), ['b'], 'highest icpScore first')

  const again = (await tick(app)).json()
  t.same(again.activated, [], 'a campaign is activated once')
  const metrics = await app.internal.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /activation_campaigns_total\{outcome="activated"\} 1/)
  t.match(metrics.body, /activation_campaigns_total\{outcome="expired"\} 1/)
  t.match(metrics.body, /activation_tick_duration_seconds_count 2/)
})

t.test('oldest createdAt first, at most a batch per call, remaining reported', async t => {
  const app = await buildTestApp(t, { env: { ACTIVATION_BATCH_SIZE: '2' } })
  const { headers } = await app.createClient()
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(await dueCampaign(app, headers))
  // created_at decides the order, not start_at or id
  await app.ctx.pool.query("update campaigns set created_at = now() - make_interval(mins => array_position($1::uuid[], id))", [ids])
  const expectedOrder = [...ids].reverse()
  const first = (await tick(app)).json()
  t.same(first.activated.map((a: { campaignId: string }) => a.campaignId), expectedOrder.slice(0, 2))
  t.equal(first.remaining, 3)
  const second = (await tick(app)).json()
  t.same(second.activated.map((a: { campaignId: string }) => a.campaignId), expectedOrder.slice(2, 4))
  t.equal(second.remaining, 1)
  t.equal((await tick(app)).json().remaining, 0)
})

t.test('a campaign locked by another caller is skipped, then activated once the lock is gone', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const id = await dueCampaign(app, headers)
  const holder = new pg.Client({ connectionString: app.databaseUrl })
  await holder.connect()
  t.teardown(async () => { await holder.end() })
  await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [campaignLockKey(id)])
  const skipped = (await tick(app)).json()
  t.same(skipped.skipped, [id])
  t.same(skipped.activated, [])
  t.equal((await status(app, id)).status, 'scheduled')
  await holder.query('select pg_advisory_unlock(hashtextextended($1, 0))', [campaignLockKey(id)])
  t.same((await tick(app)).json().activated.map((a: { campaignId: string }) => a.campaignId), [id])
})

t.test('one failing campaign lands in failed and does not stop the others', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a' }])
  const broken = await dueCampaign(app, headers)
  const fine = await dueCampaign(app, headers, { targeting: { tags: ['none'] } })
  // A stored targeting the engine cannot run (as if written by an older, buggy version).
  await app.ctx.pool.query(`update campaigns set targeting = '{"icpScore":{"min":"abc"}}', created_at = now() - interval '1 hour' where id = $1`, [broken])
  const body = (await tick(app)).json()
  t.equal(body.failed.length, 1)
  t.equal(body.failed[0].campaignId, broken)
  t.match(body.failed[0].error, /^database error 22P02/)
  t.notMatch(body.failed[0].error, /select|insert|leads/i, 'no SQL in the reason')
  t.same(body.activated.map((a: { campaignId: string }) => a.campaignId), [fine])
})

t.test('two app instances ticking at once activate each campaign exactly once and never pass a cap', async t => {
  const one = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '7' } })
  const two = await buildTestApp(t, { databaseUrl: one.databaseUrl, env: { ENROLLMENT_CHUNK_SIZE: '5' } })
  const { headers } = await one.createClient()
  await seedLeads(one, headers, Array.from({ length: 120 }, (_, i) => ({ externalId: `l${i}`, tags: [`t${i % 3}`], icpScore: i % 50 })))
  const ids: string[] = []
  for (let i = 0; i < 12; i++) ids.push(await dueCampaign(one, headers, { targeting: { tags: [`t${i % 3}`, `t${(i + 1) % 3}`] }, maxLeadsToEnroll: 15 + i }))
  const results = await Promise.all([tick(one), tick(two), tick(one), tick(two), tick(one), tick(two)])
  const activated = results.flatMap(r => r.json().activated.map((a: { campaignId: string }) => a.campaignId))
  t.same([...activated].sort(), [...ids].sort(), 'every due campaign activated exactly once')
  for (const result of results) {
    const body = result.json()
    const named = [...body.activated.map((a: { campaignId: string }) => a.campaignId), ...body.expired, ...body.skipped,
      ...body.failed.map((f: { campaignId: string }) => f.campaignId), ...body.continued.map((c: { campaignId: string }) => c.campaignId)]
    t.equal(new Set(named).size, named.length, 'one answer names each campaign once')
  }
  const { rows } = await one.ctx.pool.query(`
    select c.id, c.leads_enrolled, c.max_leads_to_enroll, (select count(*)::int from enrollments e where e.campaign_id = c.id) as made
    from campaigns c`)
  for (const row of rows) {
    t.equal(row.leads_enrolled, row.made, 'leadsEnrolled equals the enrollments made')
    t.ok(row.leads_enrolled <= row.max_leads_to_enroll, 'cap holds')
  }
  const doubles = await one.ctx.pool.query(`select lead_id from enrollments where status = 'active' group by lead_id having count(*) > 1`)
  t.equal(doubles.rowCount, 0, 'no lead active twice')
})

t.test('continues time-budget stops; completes due enrollments and finished campaigns', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_TIME_BUDGET_MS: '1', ENROLLMENT_CHUNK_SIZE: '2' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, Array.from({ length: 7 }, (_, i) => ({ externalId: `l${i}`, tags: ['go'] })))
  const created = (await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'big', targeting: { tags: ['go'] }, messages: oneMessage } })).json()
  t.match(created, { status: 'active', leadsEnrolled: 2, enrollmentPending: true, warning: { reason: 'timeout', remaining: 5, totalMatching: 7 } })
  const idle = (await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'nobody yet', targeting: { tags: ['nobody'] }, messages: oneMessage } })).json()
  let continued = 0
  for (let i = 0; i < 10 && (await status(app, created.id)).leads_enrolled < 7; i++) continued += (await tick(app)).json().continued.length
  t.ok(continued >= 1)
  t.match(await status(app, created.id), { status: 'active', leads_enrolled: 7 })
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/campaigns/${created.id}`, headers })).json().enrollmentPending, false)

  // No sender and no phones: each message the tick meets is skipped (no_phone), the next one is
  // scheduled; once the last one is skipped the enrollment is completed.
  t.equal((await tick(app)).json().enrollmentsCompleted, 0, 'message 1 is due a day after message 0')
  await app.ctx.pool.query(`update enrollments set next_due_at = now() - interval '1 second' where next_due_at is not null`)
  const body = (await tick(app)).json()
  t.equal(body.enrollmentsCompleted, 7)
  t.same(body.completed, [created.id])
  t.equal((await status(app, created.id)).status, 'completed')
  t.equal((await status(app, idle.id)).status, 'active', 'a campaign with no enrollment yet stays active')
  const { rows } = await app.ctx.pool.query(`select distinct status from enrollments`)
  t.same(rows, [{ status: 'completed' }])
})

t.test('the due query is served by the partial index on scheduled campaigns', async t => {
  const app = await buildTestApp(t)
  const client = await app.ctx.pool.connect()
  t.teardown(() => { client.release() })
  await client.query('set enable_seqscan = off')
  const { rows } = await client.query(`explain select id from campaigns where status = 'scheduled' and start_at <= now() order by created_at, id limit 25`)
  const plan = rows.map(r => r['QUERY PLAN']).join('\n')
  t.match(plan, /campaigns_scheduled_due/, plan)
})

t.test('once shutdown begins, runs stop at their next chunk and the tick takes no new campaign', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '2' } })
  const other = await buildTestApp(t, { databaseUrl: app.databaseUrl })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, Array.from({ length: 10 }, (_, i) => ({ externalId: `l${i}`, tags: ['go'] })))
  const due = await dueCampaign(app, headers, { targeting: { tags: ['nobody'] } })
  app.ctx.beginShutdown()

  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'late', targeting: { tags: ['go'] }, messages: oneMessage } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { leadsEnrolled: 2, enrollmentPending: true, warning: { reason: 'timeout', enrolled: 2, remaining: 8 } }, 'one chunk, the rest left pending')
  const body = (await tick(app)).json()
  t.match(body, { activated: [], continued: [], remaining: 1 }, 'a stopping process starts nothing new')
  t.equal((await status(app, due)).status, 'scheduled')

  const next = (await tick(other)).json()
  t.same(next.activated.map((a: { campaignId: string }) => a.campaignId), [due], 'the next tick elsewhere activates it')
  t.match(await status(app, created.json().id), { status: 'active', leads_enrolled: 10 }, 'and continues the stopped run')
})
