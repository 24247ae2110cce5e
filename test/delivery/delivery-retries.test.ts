import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { claim, enrollmentOf, makeDue, report, tick } from '../helpers/deliveries.js'
import { scrape } from '../helpers/metrics-text.js'
import { seedLeads } from '../helpers/seed.js'

// Deliveries that fail or cannot be made: leases, retries with back-off, final failures, skips.

const messages = [{ body: 'Hi {{first_name}} {{last_name}}!', delayMinutes: 0 }, { body: 'Bye {{first_name}}.', delayMinutes: 60 }]

t.test('leases expire and are claimed again; retryable failures back off; the 5th failure is final', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], phone: '+15551230001' } as never])
  const ids = await leadIdsOf(app, clientId)
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages })
  const [leased] = await claim(app, headers, { leaseSeconds: 10, limit: 1 })
  t.same(await claim(app, headers), [])
  await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second'`)
  const again = await claim(app, headers)
  t.match(again, [{ id: leased.id, attempts: 2, status: 'leased' }], 'an expired lease: the same delivery, attempts + 1')
  t.equal((await scrape(app)).value('delivery_lease_expiries_total'), 1)

  const waits: number[] = []
  for (let attempt = 2; attempt <= 4; attempt++) {
    const failed = await report(app, headers, leased.id, { outcome: 'failed', error: 'carrier busy' })
    t.match(failed.json(), { status: 'pending', attempts: attempt, error: 'carrier busy' })
    waits.push(Math.round((Date.parse(failed.json().dueAt) - Date.now()) / 60_000))
    t.same(await claim(app, headers), [], 'backing off')
    await makeDue(app)
    t.match(await claim(app, headers), [{ id: leased.id, attempts: attempt + 1 }])
  }
  t.same(waits, [2, 4, 8], 'backoff doubles (1 minute after the first failed attempt)')
  const last = await report(app, headers, leased.id, { outcome: 'failed', error: 'still busy' })
  t.match(last.json(), { status: 'failed', attempts: 5 }, 'the 5th failed attempt is final')
  t.match(await enrollmentOf(app, headers, campaign.id, ids.get('a') ?? ''), { status: 'stopped', stopReason: 'delivery_failed', nextStep: null })
  const metrics = await scrape(app)
  t.equal(metrics.value('deliveries_failed_total', { final: 'false' }), 3)
  t.equal(metrics.value('deliveries_failed_total', { final: 'true' }), 1)
})

t.test('a failure that is not retryable is final at once', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], phone: '+15551230001' } as never])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages })
  const [delivery] = await claim(app, headers)
  t.match((await report(app, headers, delivery.id, { outcome: 'failed', retryable: false, error: 'invalid number' })).json(), { status: 'failed', attempts: 1 })
  const stats = (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/stats`, headers })).json()
  t.match(stats, { enrollments: { stopped: 1 }, stopReasons: { delivery_failed: 1 }, steps: [{ failed: 1 }, { pending: 0 }] })
})

t.test('skips: a lead without a phone, and a message left unsent past the stale limit', async t => {
  const app = await buildTestApp(t, { env: { DELIVERY_STALE_AFTER_SECONDS: '3600' } })
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'nophone', tags: ['x'] }, { externalId: 'late', tags: ['x'], phone: '+15551230001' } as never])
  const ids = await leadIdsOf(app, clientId)
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages })
  await app.ctx.pool.query(`update enrollments set next_due_at = now() - interval '2 hours' where lead_id = $1`, [ids.get('late')])
  const bodyless = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers })
  t.same([bodyless.statusCode, bodyless.json()], [200, { data: [] }], 'neither is handed out (a claim without a body takes the defaults)')
  const { rows } = await app.ctx.pool.query('select lead_id, step, status, skip_reason from deliveries order by step')
  t.same(rows.map(r => [r.lead_id, r.step, r.status, r.skip_reason]).sort(), [[ids.get('late'), 0, 'skipped', 'stale'], [ids.get('nophone'), 0, 'skipped', 'no_phone']].sort())
  t.match(await enrollmentOf(app, headers, campaign.id, ids.get('nophone') ?? ''), { status: 'active', nextStep: 1 })

  // No sender at all: the tick skips what is left and the enrollments end.
  await makeDue(app)
  await app.ctx.pool.query(`update enrollments set next_due_at = now() - interval '2 hours' where lead_id = $1`, [ids.get('late')])
  const result = await tick(app)
  t.equal(result.enrollmentsCompleted, 2)
  t.same(result.completed, [campaign.id])
  const metrics = await scrape(app)
  t.equal(metrics.value('deliveries_skipped_total', { reason: 'no_phone' }), 2)
  t.equal(metrics.value('deliveries_skipped_total', { reason: 'stale' }), 2)
  t.equal(metrics.value('deliveries_claimed_total'), 0)
})
