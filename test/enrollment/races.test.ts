import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { createCampaign, invariantViolations, postCampaign, topUp } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// Overlapping audiences: every lead has tag "late" and two or three of a..d.
const TAGS = ['a', 'b', 'c', 'd']
const LEADS = Array.from({ length: 90 }, (_, i) => ({
  externalId: `l${i}`,
  tags: ['late', TAGS[i % 4] as string, TAGS[(i >> 2) % 4] as string, ...(i % 3 === 0 ? ['c'] : [])].filter((v, j, all) => all.indexOf(v) === j),
  icpScore: i % 5 === 0 ? null : (i * 37) % 101,
  createdAt: new Date(Date.UTC(2024, 0, 1 + (i % 6))).toISOString()
}))

/**
 * One burst: campaigns waiting on tag "late" are topped up (three times each, at once) while
 * new campaigns over the same leads are created, a campaign is cancelled and leads opt out.
 * Requests alternate between the given instances.
 */
async function burst (t: Test, instances: TestApp[]): Promise<void> {
  const [first] = instances as [TestApp]
  const { headers } = await first.createClient()
  const waiting: Array<{ id: string }> = []
  for (let i = 0; i < 6; i++) waiting.push(await createCampaign(first, headers, { targeting: { tags: ['late', TAGS[i % 4]], tagMatch: 'all' }, maxLeadsToEnroll: 8 + i * 3 }))
  const nobodyYet = await invariantViolations(first)
  t.same(nobodyYet, { counters: [], doubleActive: [] })
  await seedLeads(first, headers, LEADS)

  const at = (i: number): TestApp => instances[i % instances.length] as TestApp
  const operations: Array<() => Promise<{ statusCode: number, body: string }>> = [
    ...waiting.flatMap((c, i) => [0, 1, 2].map(k => async () => await topUp(at(i + k), headers, c.id))),
    ...Array.from({ length: 10 }, (_, i) => async () => await postCampaign(at(i), headers, {
      name: `burst-${i}`,
      targeting: i % 3 === 0 ? {} : { tags: [TAGS[i % 4], TAGS[(i + 1) % 4]] },
      ...(i % 4 === 3 ? {} : { maxLeadsToEnroll: 5 + i * 4 })
    })),
    async () => await at(1).api.inject({ method: 'POST', url: `/v1/campaigns/${waiting[5]?.id}/cancel`, headers }),
    async () => await at(0).api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: LEADS.slice(0, 6).map(l => ({ externalId: l.externalId, firstName: 'Out', optedOut: true })) } })
  ]
  const responses = await Promise.all(operations.map(async op => await op()))
  const statuses = responses.map(r => r.statusCode)
  // Top-ups of the campaign being cancelled may find it cancelled already (409); nothing else may fail.
  const cancelledTopUps = new Set([15, 16, 17])
  t.ok(statuses.every((s, i) => s === 200 || s === 201 || (s === 409 && cancelledTopUps.has(i))), `every request succeeded: ${statuses.join(',')}`)
  t.same(await invariantViolations(first), { counters: [], doubleActive: [] }, 'leadsEnrolled == enrollments made <= cap; one active enrollment per lead')
  const { rows } = await first.ctx.pool.query(`
    select count(*)::int as n from enrollments e join leads l on l.id = e.lead_id where l.opted_out and e.status = 'active'`)
  t.equal(rows[0].n, 0, 'no opted-out lead is active')
  const cancelled = await first.ctx.pool.query("select count(*)::int as n from enrollments where campaign_id = $1 and status = 'active'", [waiting[5]?.id])
  t.equal(cancelled.rows[0].n, 0, 'the cancelled campaign has no active enrollment')
  const active = await first.ctx.pool.query("select count(distinct lead_id)::int as leads, count(*)::int as n from enrollments where status = 'active'")
  t.equal(active.rows[0].leads, active.rows[0].n)
}

t.test('concurrent creates, top-ups, cancel and opt-outs on one instance keep every invariant', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '3' } })
  for (let round = 0; round < 3; round++) await burst(t, [app])
})

t.test('the same on two instances sharing one database', async t => {
  const one = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '3' } })
  const two = await buildTestApp(t, { databaseUrl: one.databaseUrl, env: { ENROLLMENT_CHUNK_SIZE: '4' } })
  for (let round = 0; round < 3; round++) await burst(t, [one, two])
})
