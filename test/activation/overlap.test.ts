import t from 'tap'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

// A create still enrolling must not be "continued" by a tick at the same time: the response's
// totals would then miss what the tick enrolled.
// Enough one-lead chunks that ticks run while the create is midway, even on a fast machine.
const LEADS = 400

t.test('the tick never continues a campaign whose create is still enrolling', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '1', ENROLLMENT_TIME_BUDGET_MS: '60000' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, Array.from({ length: LEADS }, (_, i) => ({ externalId: `l${i}`, tags: ['all'] })))
  const creating = app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'slow', targeting: { tags: ['all'] }, messages: oneMessage } })
  let ticking = true
  // Ticks that ran while the create had enrolled some leads but not all: the overlap under test.
  let overlapping = 0
  const ticks = (async () => {
    while (ticking) {
      await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
      const { rows } = await app.ctx.pool.query<{ n: number }>('select count(*)::int as n from enrollments')
      const n = rows[0]?.n ?? 0
      if (n > 0 && n < LEADS) overlapping++
    }
  })()
  const created = (await creating).json()
  ticking = false
  await ticks
  t.ok(overlapping > 0, `${overlapping} ticks ran while the create was enrolling`)
  t.match(created, { leadsEnrolled: LEADS, enrollment: { totalMatching: LEADS, enrolled: LEADS } })
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from enrollments')
  t.equal(rows[0].n, LEADS)
})
