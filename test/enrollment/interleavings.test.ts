import t from 'tap'
import { markActivated } from '../../src/activation/repository.js'
import { campaignLockKey } from '../../src/db/locks.js'
import { completeFinishedCampaigns } from '../../src/enrollment/completion.js'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { createCampaign, topUp } from '../helpers/campaigns.js'
import { holdClientLock, lockWaiter } from '../helpers/locks.js'
import { seedLeads } from '../helpers/seed.js'
import { waitUntil } from '../helpers/service-process.js'

// Requests that meet other work half-way: a tick between a chunk's read and its insert, a
// cancel while a top-up waits for the campaign, a PATCH between the tick's read and its flip.

const FUTURE = '2999-01-01T00:00:00Z'
const quickMessages = [{ body: 'Hi {{first_name}}', delayMinutes: 0 }]

/** How many times the lock pool was used from now on: a campaign-lock wait gives its connection back after each try. */
function lockTries (app: Awaited<ReturnType<typeof buildTestApp>>): () => number {
  let released = 0
  app.ctx.lockPool.on('release', () => { released++ })
  return () => released
}

t.test('the tick cannot complete a campaign while a chunk is enrolling into it', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'first', tags: ['t'] }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['t'] } })
  // Its only enrollment ends (opt-out): active, enrolled before, nothing active, nothing pending.
  const ids = await seedLeads(app, headers, [{ externalId: 'first', tags: ['t'], optedOut: true }, { externalId: 'second', tags: ['t'] }])
  t.ok(ids.get('second'))

  // Hold the chunk between its read of the campaign and its insert (it reads leads there).
  const holder = await app.ctx.pool.connect()
  t.teardown(() => { holder.release() })
  await holder.query('begin')
  await holder.query('lock table leads in access exclusive mode')
  const toppingUp = Promise.resolve(topUp(app, headers, campaign.id))
  t.ok(await lockWaiter(app), 'the chunk waits on the leads table')
  // The tick runs to its end while the chunk is held midway (it skips locked rows, never waits).
  const completed = await completeFinishedCampaigns(app.ctx.db)
  await holder.query('rollback')
  const response = await toppingUp
  t.equal(response.statusCode, 200, response.body)
  t.match(response.json(), { enrolled: 1 })
  t.same(completed, [], 'the tick left the campaign alone')
  const { rows } = await app.ctx.pool.query("select c.status, (select count(*)::int from enrollments e where e.campaign_id = c.id and e.status = 'active') as active from campaigns c where id = $1", [campaign.id])
  t.same(rows[0], { status: 'active', active: 1 }, 'still active, with its new enrollment')
})

t.test('a top-up that waited while the campaign was cancelled is a 409, not an empty 200', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['t'] }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['t'] } })
  await seedLeads(app, headers, [{ externalId: 'b', tags: ['t'] }])
  const holder = await app.ctx.lockPool.connect()
  t.teardown(() => { holder.release() })
  await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [campaignLockKey(campaign.id)])
  const tries = lockTries(app)
  let settled = false
  const toppingUp = Promise.resolve(topUp(app, headers, campaign.id)).finally(() => { settled = true })
  // It was refused the campaign's lock and tried again: it is waiting, not done.
  await waitUntil(() => tries() >= 2, 'the top-up to try the campaign lock twice')
  t.notOk(settled, 'the top-up waits for the campaign')
  const cancelled = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${campaign.id}/cancel`, headers })
  t.equal(cancelled.statusCode, 200)
  await holder.query('select pg_advisory_unlock(hashtextextended($1, 0))', [campaignLockKey(campaign.id)])
  const response = await toppingUp
  t.equal(response.statusCode, 409, response.body)
  t.match(response.json(), { type: /campaign-not-active$/ })
})

t.test('activation re-checks startAt: a campaign moved into the future meanwhile stays scheduled', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  const campaign = await createCampaign(app, headers, { startAt: FUTURE })
  t.equal(await markActivated(app.ctx.db, campaign.id), undefined, 'not due: not activated')
  await app.ctx.pool.query("update campaigns set start_at = now() - interval '31 days' where id = $1", [campaign.id])
  t.equal(await markActivated(app.ctx.db, campaign.id), undefined, 'due too long ago: for expiry, not activation')
  await app.ctx.pool.query("update campaigns set start_at = now() - interval '1 minute' where id = $1", [campaign.id])
  t.equal(await markActivated(app.ctx.db, campaign.id), clientId, 'activated: answers its client (the lock key of its enrollment)')
})

t.test('PATCH startAt to a past time starts the campaign at the next tick, even months back', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a' }])
  const campaign = await createCampaign(app, headers, { startAt: FUTURE })
  const before = Date.now()
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${campaign.id}`, headers, payload: { startAt: '2024-01-01T00:00:00Z' } })
  t.equal(patched.statusCode, 200)
  t.ok(Date.parse(patched.json().startAt) >= before - 1000, `stored as now (${patched.json().startAt})`)
  const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  t.match(tick.json(), { activated: [{ campaignId: campaign.id, enrolled: 1 }], expired: [] })
})

t.test('createdAfter after createdBefore by a fraction of a millisecond is refused', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const preview = async (createdAfter: string, createdBefore: string) => await app.api.inject({
    method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'p', messages: quickMessages, targeting: { createdAfter, createdBefore } }
  })
  const refused = await preview('2024-01-01T00:00:00.0009Z', '2024-01-01T00:00:00.0001Z')
  t.equal(refused.statusCode, 400)
  t.match(refused.json().errors, [{ path: 'targeting/createdAfter' }])
  t.equal((await preview('2024-01-01T00:00:00.0001Z', '2024-01-01T00:00:00.0009Z')).statusCode, 200)
  t.equal((await preview('2024-01-01T01:00:00.000001+01:00', '2024-01-01T00:00:00.000001Z')).statusCode, 200, 'equal instants')
})

t.test('ids PostgreSQL would refuse (urn:uuid:...) are a 400, not a 500', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const urn = 'urn:uuid:6f0c1b2e-0000-4000-8000-000000000000'
  for (const url of [`/v1/campaigns/${urn}`, `/v1/leads/${urn}`, `/v1/leads?cursor=${urn}`, `/v1/sync/failures?campaignId=${urn}`]) {
    const response = await app.api.inject({ method: 'GET', url, headers })
    t.equal(response.statusCode, 400, `${url}: ${response.body}`)
  }
})

t.test('stopping enrollments stops them with a reason, whatever their completesAt says', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const ids = await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['y'] }])
  const optOut = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const cancel = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('a') ?? ''}`, headers, payload: { optedOut: true } })
  await app.api.inject({ method: 'POST', url: `/v1/campaigns/${cancel.id}/cancel`, headers })
  // An enrollment ends when its last message is final, not by the clock: these never sent one.
  const { rows } = await app.ctx.pool.query('select campaign_id, status, stop_reason from enrollments order by campaign_id = $1 desc', [optOut.id])
  t.same(rows.map(r => [r.campaign_id, r.status, r.stop_reason]), [[optOut.id, 'stopped', 'opted_out'], [cancel.id, 'stopped', 'campaign_cancelled']])
})

t.test('top-ups queued on a busy campaign neither stall other campaigns nor wait forever', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_TIME_BUDGET_MS: '1000' } })
  const first = await app.createClient()
  const second = await app.createClient()
  await seedLeads(app, first.headers, [{ externalId: 'a', tags: ['t'] }])
  await seedLeads(app, second.headers, [{ externalId: 'b', tags: ['t'] }])
  const busy = await createCampaign(app, first.headers, { targeting: { tags: ['t'] } })
  const holder = await app.ctx.lockPool.connect()
  t.teardown(() => { holder.release() })
  await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [campaignLockKey(busy.id)])
  // More waiting top-ups than the lock pool has connections (DATABASE_POOL_SIZE 8 in tests).
  const tries = lockTries(app)
  const waiting = Array.from({ length: 12 }, async () => await topUp(app, first.headers, busy.id))
  await waitUntil(() => tries() >= 12, 'the top-ups to be refused the campaign lock')
  const other = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers: second.headers, payload: { name: 'other', messages: quickMessages, targeting: { tags: ['t'] } } })
  t.equal(other.statusCode, 201, 'another client\'s create went through meanwhile')
  t.match(other.json(), { enrollment: { enrolled: 1 } })
  const answers = await Promise.all(waiting)
  t.same([...new Set(answers.map(a => a.statusCode))], [409], 'still busy after twice the budget: 409')
  t.match(answers[0]?.json(), { type: /campaign-busy$/ })
  t.equal(answers[0]?.headers['retry-after'], '5')
})

t.test('enrolledAt is when the chunk inserted, not when its transaction began waiting for the client lock', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a' }])
  const lock = await holdClientLock(t, app, clientId)
  const creating = Promise.resolve(app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'c', messages: quickMessages } }))
  t.ok(await lockWaiter(app), 'the chunk waits for the client lock')
  // Its transaction began before this wait was seen, so strictly before the release read here.
  const { rows: [released] } = await app.ctx.pool.query('select clock_timestamp() as at')
  await lock.release()
  t.equal((await creating).statusCode, 201)
  const { rows: [enrollment] } = await app.ctx.pool.query('select enrolled_at from enrollments')
  t.ok(enrollment.enrolled_at >= released.at, `enrolled at ${enrollment.enrolled_at.toISOString()}, lock released at ${released.at.toISOString()}`)
})
