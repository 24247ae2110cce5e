import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

t.test('create enrolls matching leads now, in cap order, with a warning when the cap cuts', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const ids = await seedLeads(app, headers, [
    { externalId: 'a', tags: ['vip'], icpScore: 50, createdAt: '2024-01-01T00:00:00Z' },
    { externalId: 'b', tags: ['vip'], icpScore: 90, createdAt: '2024-01-02T00:00:00Z' },
    { externalId: 'c', tags: ['vip'], icpScore: null, createdAt: '2024-01-01T00:00:00Z' },
    { externalId: 'd', tags: ['vip'], icpScore: 50, createdAt: '2023-12-01T00:00:00Z' },
    { externalId: 'e', tags: ['other'], icpScore: 99 },
    { externalId: 'f', tags: ['vip'], icpScore: 99, optedOut: true }
  ])
  const response = await app.api.inject({
    method: 'POST', url: '/v1/campaigns', headers,
    payload: { name: 'VIP', targeting: { tags: ['vip'] }, messages: oneMessage, maxLeadsToEnroll: 3 }
  })
  t.equal(response.statusCode, 201, response.body)
  const body = response.json()
  t.match(body, { status: 'active', leadsEnrolled: 3, maxLeadsToEnroll: 3, enrollment: { totalMatching: 4, enrolled: 3 } })
  t.match(body.warning, { totalMatching: 4, enrolled: 3, remaining: 1, reason: 'enrollment_cap' })
  const enrollments = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${body.id}/enrollments`, headers })
  const enrolled = new Set(enrollments.json().data.map((e: { leadId: string }) => e.leadId))
  t.same([...enrolled].sort(), [ids.get('b'), ids.get('d'), ids.get('a')].sort(), 'icp desc, then oldest createdAt; null icp last')
  const [first] = enrollments.json().data
  t.equal(Date.parse(first.completesAt) - Date.parse(first.enrolledAt), 1440 * 60000, 'completesAt = enrolledAt + sum of delays')
})

t.test('validation rules name the field', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const cases: Array<[unknown, string]> = [
    [{ name: 'x', messages: oneMessage, targeting: { icpScore: { min: 80, max: 20 } } }, 'targeting/icpScore/min'],
    [{ name: 'x', messages: oneMessage, targeting: { createdAfter: '2024-02-01T00:00:00Z', createdBefore: '2024-01-01T00:00:00Z' } }, 'targeting/createdAfter'],
    [{ name: 'x', messages: [{ body: 'Hi {{email}}', delayMinutes: 0 }] }, 'messages/0/body'],
    [{ name: 'x', messages: [{ body: 'Hi', delayMinutes: 0 }, { body: 'Hi {{first_name}, welcome', delayMinutes: 0 }] }, 'messages/1/body'],
    [{ name: 'x', messages: [{ body: 'Hi', delayMinutes: 43201 }] }, 'messages/0/delayMinutes'],
    [{ name: 'x', messages: [] }, 'messages'],
    [{ name: 'x', messages: Array.from({ length: 21 }, () => ({ body: 'a', delayMinutes: 0 })) }, 'messages'],
    [{ name: 'x', messages: oneMessage, maxLeadsToEnroll: 0 }, 'maxLeadsToEnroll'],
    [{ name: 'x', messages: oneMessage, targeting: { engagementLevels: ['hot'] } }, 'targeting/engagementLevels/0'],
    [{ name: 'x', messages: oneMessage, targeting: { tagMatch: 'some' } }, 'targeting/tagMatch'],
    [{ name: 'x', messages: [{ body: '', delayMinutes: 0 }] }, 'messages/0/body']
  ]
  for (const [payload, path] of cases) {
    const response = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: payload as object })
    t.equal(response.statusCode, 400, path)
    t.ok(response.json().errors.some((e: { path: string }) => e.path === path), `${path} named in ${response.body}`)
  }
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from campaigns')
  t.equal(rows[0].n, 0, 'nothing created')
})
