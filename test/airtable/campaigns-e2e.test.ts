import { sql } from 'kysely'
import t from 'tap'
import { airtableEnv, airtableStandIn, eventually, syncJobs, airtableClient } from '../helpers/airtable.js'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

t.test('POST /v1/campaigns with Airtable down answers 201; the mirror completes after recovery, and cancel mirrors stopped', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', WORKER_CONCURRENCY: '4' }) })
  const { headers } = await airtableClient(app)
  const leads = Array.from({ length: 24 }, (_, i) => ({ externalId: `k-${i}`, tags: ['vip'], ...(i < 21 ? { airtableRecordId: `recE2E${String(i).padStart(4, '0')}` } : {}) }))
  await seedLeads(app, headers, leads)
  standIn.mode = '500'
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'Spring VIP', targeting: { tags: ['vip'] }, messages: oneMessage } })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { status: 'active', enrollment: { enrolled: 24 } })
  await standIn.waitFor(() => standIn.requests.length >= 3, 30_000, 'the failing attempts')
  t.equal(standIn.records.size, 0)

  standIn.mode = 'ok'
  await standIn.waitFor(() => standIn.records.size === 21, 30_000, 'the mirror after recovery')
  for (const [, fields] of standIn.records) t.match(fields, { Campaign: 'Spring VIP', 'Campaign Status': 'active' })
  await eventually(async () => (await syncJobs(app)).length === 0, 'the queue drained')

  const cancelled = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${created.json().id}/cancel`, headers })
  t.equal(cancelled.statusCode, 200)
  await standIn.waitFor(() => [...standIn.records.values()].every(f => f['Campaign Status'] === 'stopped'), 30_000, 'stopped mirrored')
})

t.test('the activation tick completing enrollments mirrors completed', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true' }) })
  const { headers } = await airtableClient(app)
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], airtableRecordId: 'recA' }, { externalId: 'b', tags: ['x'], airtableRecordId: 'recB' }])
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'Short', targeting: { tags: ['x'] }, messages: oneMessage } })
  t.equal(created.statusCode, 201)
  await standIn.waitFor(() => standIn.records.size === 2, 30_000, 'active mirrored')
  // No phones: the tick skips each message; after the last one the enrollments are completed.
  for (let i = 0; i < 2; i++) {
    await sql`update enrollments set next_due_at = now() - interval '1 minute' where next_due_at is not null`.execute(app.ctx.db)
    const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
    t.equal(tick.statusCode, 200, tick.body)
  }
  await standIn.waitFor(() => [...standIn.records.values()].every(f => f['Campaign Status'] === 'completed'), 30_000, 'completed mirrored')
  t.match(standIn.records.get('recA'), { Campaign: 'Short', 'Campaign Status': 'completed', 'Enrolled At': /^\d{4}-\d\d-\d\dT/ })
})
