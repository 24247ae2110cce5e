import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

t.test('enrollments list filters by status and by lead, and pages within a filter', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const ids = await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }, { externalId: 'c', tags: ['x'] }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const optOut = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('b')}`, headers, payload: { optedOut: true } })
  t.equal(optOut.statusCode, 200)
  const list = async (query: string) => {
    const response = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/enrollments?${query}`, headers })
    t.equal(response.statusCode, 200, query)
    return response.json<{ data: Array<{ leadId: string, status: string }>, nextCursor: string | null }>()
  }
  t.same((await list('status=stopped')).data.map(e => e.leadId), [ids.get('b')])
  t.same((await list('status=active')).data.map(e => e.leadId).sort(), [ids.get('a'), ids.get('c')].sort())
  t.same((await list(`leadId=${ids.get('c')}`)).data.map(e => [e.leadId, e.status]), [[ids.get('c'), 'active']])
  t.same((await list(`leadId=${ids.get('b')}&status=active`)).data, [])
  const first = await list('status=active&limit=1')
  t.equal(first.data.length, 1)
  const second = await list(`status=active&limit=1&cursor=${first.nextCursor}`)
  t.same([...first.data, ...second.data].map(e => e.status), ['active', 'active'])
  t.equal(second.nextCursor, null)
  const bad = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/enrollments?status=paused&leadId=nope`, headers })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: 'status' }, { path: 'leadId' }])
})

t.test('preview takes targeting, cap and send window alone; a create body is still accepted and checked', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['vip'], icpScore: 90 }, { externalId: 'b', tags: ['vip'], icpScore: 10 }])
  const preview = async (payload: object) => await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload })
  const bare = await preview({ targeting: { tags: ['vip'] }, maxLeadsToEnroll: 1, sendWindow: { start: '09:00', end: '17:00' } })
  t.equal(bare.statusCode, 200)
  t.match(bare.json(), { totalMatching: 2, wouldEnroll: 1, sample: [{ externalId: 'a' }] })
  t.equal((await preview({})).json().totalMatching, 2, 'an empty body previews every eligible lead')
  const full = await preview({ name: 'VIP', messages: [{ body: 'Hi {{first_name}}', delayMinutes: 0 }], targeting: { tags: ['vip'] } })
  t.equal(full.statusCode, 200)
  const badMessage = await preview({ messages: [{ body: 'Hi {{nickname}}', delayMinutes: 0 }] })
  t.equal(badMessage.statusCode, 400)
  t.match(badMessage.json().errors, [{ path: 'messages/0/body' }])
  const badWindow = await preview({ sendWindow: { start: '18:00', end: '09:00' } })
  t.match(badWindow.json().errors, [{ path: 'sendWindow/end' }])
})
