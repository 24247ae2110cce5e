import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, invariantViolations, topUp } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

const leads = (n: number, prefix = 'l') => Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}${i}`, tags: ['x'], icpScore: i % 7 }))

t.test('totalMatching, enrollment and warning as the contract defines them (chunk size 3)', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '3' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, leads(10))

  const exact = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 10 })
  t.same(exact.enrollment, { totalMatching: 10, enrolled: 10 })
  t.notOk('warning' in exact, 'a cap equal to the audience enrolls everyone: no warning')
  t.match(exact, { status: 'active', leadsEnrolled: 10, enrollmentPending: false })
  await app.api.inject({ method: 'POST', url: `/v1/campaigns/${exact.id}/cancel`, headers })

  const capped = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 7 })
  t.same(capped.enrollment, { totalMatching: 10, enrolled: 7 })
  t.same(Object.keys(capped.warning).sort(), ['enrolled', 'message', 'reason', 'remaining', 'totalMatching'])
  t.match(capped.warning, { totalMatching: 10, enrolled: 7, remaining: 3, reason: 'enrollment_cap', message: /cap/ })
  t.match(capped, { leadsEnrolled: 7, enrollmentPending: false })

  // A top-up of a full campaign enrolls nobody and says why the new matching leads were left.
  await seedLeads(app, headers, leads(2, 'late'))
  const full = await topUp(app, headers, capped.id)
  t.equal(full.statusCode, 200)
  t.match(full.json(), { enrolled: 0, totalMatching: 5, leadsEnrolled: 7, warning: { totalMatching: 5, enrolled: 0, remaining: 5, reason: 'enrollment_cap' } })

  const uncapped = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  t.same(uncapped.enrollment, { totalMatching: 5, enrolled: 5 })
  const nothing = await topUp(app, headers, uncapped.id)
  t.same(nothing.json(), { enrolled: 0, totalMatching: 0, leadsEnrolled: 5 }, 'nothing left to enroll: no warning')

  const none = await createCampaign(app, headers, { targeting: { tags: ['nobody'] } })
  t.same(none.enrollment, { totalMatching: 0, enrolled: 0 })
  t.match(none, { status: 'active', leadsEnrolled: 0 })
  t.notOk('warning' in none)

  const scheduled = await createCampaign(app, headers, { targeting: { tags: ['x'] }, startAt: new Date(Date.now() + 3600_000).toISOString() })
  t.match(scheduled, { status: 'scheduled', leadsEnrolled: 0 })
  t.notOk('enrollment' in scheduled, 'a scheduled campaign enrolls nobody yet')
  t.same(await invariantViolations(app), { counters: [], doubleActive: [] })
})

t.test('a past startAt enrolls at once', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, leads(3))
  const campaign = await createCampaign(app, headers, { startAt: new Date(Date.now() - 60_000).toISOString() })
  t.match(campaign, { status: 'active', leadsEnrolled: 3, enrollment: { totalMatching: 3, enrolled: 3 } })
})

t.test('the time budget stops between chunks; the campaign stays pending until continued', async t => {
  // 30 leads in chunks of 3 need ten committed chunks: far more than a 1 ms budget allows.
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '3', ENROLLMENT_TIME_BUDGET_MS: '1' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, leads(30))
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 25 })
  const { enrolled } = campaign.enrollment
  t.ok(enrolled > 0 && enrolled < 25, `stopped early (${enrolled})`)
  t.equal(enrolled % 3, 0, 'every chunk commits whole')
  t.same(campaign.enrollment, { totalMatching: 30, enrolled })
  t.match(campaign.warning, { totalMatching: 30, enrolled, remaining: 30 - enrolled, reason: 'timeout' })
  t.match(campaign, { status: 'active', enrollmentPending: true, leadsEnrolled: enrolled })
  const read = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}`, headers })
  t.equal(read.json().enrollmentPending, true)
  t.same(await invariantViolations(app), { counters: [], doubleActive: [] })

  // Continuing (a top-up here; the activation tick does the same) enrolls the rest up to the cap.
  let total = enrolled
  let last: any
  for (let round = 0; round < 30; round++) {
    last = (await topUp(app, headers, campaign.id)).json()
    total += last.enrolled
    t.equal(last.leadsEnrolled, total)
    if (last.warning?.reason !== 'timeout') break
    t.equal(last.warning.totalMatching, 30 - (total - last.enrolled))
  }
  t.equal(total, 25)
  t.match(last, { leadsEnrolled: 25, warning: { reason: 'enrollment_cap', remaining: 5 } })
  const after = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}`, headers })
  t.match(after.json(), { leadsEnrolled: 25, enrollmentPending: false })
  t.same(await invariantViolations(app), { counters: [], doubleActive: [] })
})

t.test('a timed-out campaign without a cap is continued until every matching lead is in', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '2', ENROLLMENT_TIME_BUDGET_MS: '1' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, leads(20))
  const campaign = await createCampaign(app, headers, {})
  t.equal(campaign.warning?.reason, 'timeout')
  let last: any
  for (let round = 0; round < 20 && (last === undefined || last.warning !== undefined); round++) {
    last = (await topUp(app, headers, campaign.id)).json()
  }
  t.match(last, { leadsEnrolled: 20 })
  t.notOk('warning' in last)
  const after = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}`, headers })
  t.match(after.json(), { leadsEnrolled: 20, enrollmentPending: false })
})
