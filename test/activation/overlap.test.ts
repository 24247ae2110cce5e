import t from 'tap'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

// A create still enrolling must not be "continued" by a tick at the same time: the response's
// totals would then miss what the tick enrolled.
t.test('the tick never continues a campaign whose create is still enrolling', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '1', ENROLLMENT_TIME_BUDGET_MS: '60000' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, Array.from({ length: 120 }, (_, i) => ({ externalId: `l${i}`, tags: ['all'] })))
  const creating = app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'slow', targeting: { tags: ['all'] }, messages: oneMessage } })
  let ticking = true
  const ticks = (async () => {
    while (ticking) {
      await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
      await new Promise(resolve => setTimeout(resolve, 5))
    }
  })()
  const created = (await creating).json()
  ticking = false
  await ticks
  t.match(created, { leadsEnrolled: 120, enrollment: { totalMatching: 120, enrolled: 120 } })
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from enrollments')
  t.equal(rows[0].n, 120)
})
