import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, enrolledExternalIds, leadIdsOf, topUp } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

const instant = [{ body: 'Hi', delayMinutes: 0 }]

for (const chunk of ['25000', '1']) {
  t.test(`a lead is active in at most one campaign of its client (chunk size ${chunk})`, async t => {
    const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: chunk } })
    const { headers } = await app.createClient()
    await seedLeads(app, headers, [
      { externalId: 'x1', tags: ['x'] }, { externalId: 'x2', tags: ['x'] },
      { externalId: 'xy', tags: ['x', 'y'] }, { externalId: 'y1', tags: ['y'] }, { externalId: 'y2', tags: ['y'] }
    ])
    const a = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
    t.same(a.enrollment, { totalMatching: 3, enrolled: 3 })

    const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'B', targeting: { tags: ['x', 'y'] }, messages: instant } })
    t.match(preview.json(), { totalMatching: 2, excluded: { activeElsewhere: 3 } })
    const b = await createCampaign(app, headers, { targeting: { tags: ['x', 'y'] } })
    t.same(b.enrollment, { totalMatching: 2, enrolled: 2 }, 'leads active in A are skipped and not counted as matching')
    t.notOk('warning' in b, 'skipping leads active elsewhere is not a warning')
    t.same(await enrolledExternalIds(app, b.id), ['y1', 'y2'])

    // Cancelling A frees its leads: a top-up of B now takes them.
    const cancel = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${a.id}/cancel`, headers })
    t.equal(cancel.statusCode, 200)
    const more = await topUp(app, headers, b.id)
    t.same(more.json(), { enrolled: 3, totalMatching: 3, leadsEnrolled: 5 })
    t.same(await enrolledExternalIds(app, b.id, 'active'), ['x1', 'x2', 'xy', 'y1', 'y2'])
  })
}

t.test('another client\'s leads and enrollments play no part', async t => {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, [{ externalId: 'same', tags: ['x'] }])
  await seedLeads(app, two.headers, [{ externalId: 'same', tags: ['x'] }, { externalId: 'only-two', tags: ['x'] }])
  const first = await createCampaign(app, one.headers, { targeting: { tags: ['x'] } })
  t.same(first.enrollment, { totalMatching: 1, enrolled: 1 })
  const second = await createCampaign(app, two.headers, { targeting: { tags: ['x'] } })
  t.same(second.enrollment, { totalMatching: 2, enrolled: 2 }, 'client one\'s active enrollment does not block client two\'s lead')
  const ids = await leadIdsOf(app, two.id)
  const { rows } = await app.ctx.pool.query('select lead_id from enrollments where campaign_id = $1 order by lead_id', [second.id])
  t.same(rows.map(r => r.lead_id), [ids.get('same'), ids.get('only-two')].sort())
})

t.test('never twice in one campaign: not after completion, not after a stop', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '2' } })
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'l1', tags: ['x'] }, { externalId: 'l2', tags: ['x'] }, { externalId: 'l3', tags: ['y'] }])
  const ids = await leadIdsOf(app, clientId)
  // No phones: a sender's claim skips the message (no_phone), the last one, and completes them.
  const done = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages: instant })
  t.equal(done.leadsEnrolled, 2)
  const busy = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'P', targeting: { tags: ['x'] }, messages: instant } })
  t.match(busy.json(), { totalMatching: 0, excluded: { activeElsewhere: 2 } }, 'active until the last message is final, whatever completesAt says')
  const claim = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers, payload: {} })
  t.same(claim.json(), { data: [] })
  const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'P', targeting: { tags: ['x'] }, messages: instant } })
  t.match(preview.json(), { totalMatching: 2, excluded: { activeElsewhere: 0 } }, 'a completed enrollment no longer counts as active')
  t.same(preview.json().sample.map((l: { externalId: string }) => l.externalId).sort(), ['l1', 'l2'])
  t.same((await topUp(app, headers, done.id)).json(), { enrolled: 0, totalMatching: 0, leadsEnrolled: 2 }, 'completed leads are not enrolled again')
  t.same(await enrolledExternalIds(app, done.id, 'completed'), ['l1', 'l2'])

  const running = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  t.equal(running.leadsEnrolled, 1)
  const optOut = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('l3')}`, headers, payload: { optedOut: true } })
  t.equal(optOut.statusCode, 200)
  const optIn = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('l3')}`, headers, payload: { optedOut: false } })
  t.equal(optIn.statusCode, 200)
  t.same((await topUp(app, headers, running.id)).json(), { enrolled: 0, totalMatching: 0, leadsEnrolled: 1 }, 'a stopped lead is not enrolled again')
  t.same(await enrolledExternalIds(app, running.id, 'stopped'), ['l3'])

  // A lead that matches later is enrolled by a top-up, exactly once.
  await seedLeads(app, headers, [{ externalId: 'l4', tags: ['x'] }])
  t.same((await topUp(app, headers, done.id)).json(), { enrolled: 1, totalMatching: 1, leadsEnrolled: 3 })
  t.same((await topUp(app, headers, done.id)).json(), { enrolled: 0, totalMatching: 0, leadsEnrolled: 3 })
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from enrollments where campaign_id = $1', [done.id])
  t.equal(rows[0].n, 3)

  // A completed enrollment frees the lead for another campaign (l4's message is skipped first).
  t.same((await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers, payload: {} })).json(), { data: [] })
  const other = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  t.same(other.enrollment, { totalMatching: 3, enrolled: 3 })
})
