import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, topUp } from '../helpers/campaigns.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

const future = () => new Date(Date.now() + 24 * 3600_000).toISOString()

t.test('PATCH changes a scheduled campaign, with the same rules as create', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const scheduled = await createCampaign(app, headers, { startAt: future(), maxLeadsToEnroll: 5 })
  const patch = (payload: unknown) => app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, headers, payload: payload as object })

  const messages = [{ body: 'Hey {{last_name}}', delayMinutes: 10 }, { body: 'Bye', delayMinutes: 20 }]
  const changed = await patch({ name: 'Renamed', targeting: { tags: ['v'], tagMatch: 'all' }, messages, maxLeadsToEnroll: null })
  t.equal(changed.statusCode, 200, changed.body)
  t.match(changed.json(), { id: scheduled.id, name: 'Renamed', status: 'scheduled', targeting: { tags: ['v'], tagMatch: 'all' }, messages, maxLeadsToEnroll: null })
  const { rows } = await app.ctx.pool.query('select total_delay_minutes from campaigns where id = $1', [scheduled.id])
  t.equal(rows[0].total_delay_minutes, 30, 'the stored delay sum follows the new messages')

  const cases: Array<[unknown, string]> = [
    [{ targeting: { icpScore: { min: 90, max: 10 } } }, 'targeting/icpScore/min'],
    [{ targeting: { createdAfter: '2024-03-01T00:00:00Z', createdBefore: '2024-02-01T00:00:00Z' } }, 'targeting/createdAfter'],
    [{ messages: [{ body: 'Hi {{phone}}', delayMinutes: 0 }] }, 'messages/0/body'],
    [{ messages: [{ body: 'Hi', delayMinutes: -1 }] }, 'messages/0/delayMinutes'],
    [{ messages: [] }, 'messages'],
    [{ maxLeadsToEnroll: 0 }, 'maxLeadsToEnroll'],
    [{ targeting: { icpScore: { min: 101 } } }, 'targeting/icpScore/min'],
    [{ startAt: 'tomorrow' }, 'startAt'],
    [{ name: '' }, 'name']
  ]
  for (const [payload, path] of cases) {
    const response = await patch(payload)
    t.equal(response.statusCode, 400, `${path}: ${response.body}`)
    t.ok(response.json().errors?.some((e: { path: string }) => e.path === path), `${path} named`)
  }
  t.equal((await patch({})).statusCode, 400, 'an empty patch is refused')
  const read = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${scheduled.id}`, headers })
  t.match(read.json(), { name: 'Renamed', maxLeadsToEnroll: null }, 'rejected patches changed nothing')

  // startAt null means now, as on create: still scheduled, and due at once.
  const now = await patch({ startAt: null })
  t.equal(now.statusCode, 200, now.body)
  t.equal(now.json().status, 'scheduled')
  t.ok(Date.parse(now.json().startAt) <= Date.now(), `startAt ${now.json().startAt} is not in the future`)
})

t.test('PATCH and top-up answer 409 outside their states', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a' }])
  const active = await createCampaign(app, headers, {})
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${active.id}`, headers, payload: { name: 'late' } })
  t.equal(patched.statusCode, 409)
  t.match(patched.headers['content-type'], /application\/problem\+json/)
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/campaigns/${active.id}`, headers })).json().name, 'Campaign')

  const scheduled = await createCampaign(app, headers, { startAt: future() })
  t.equal((await topUp(app, headers, scheduled.id)).statusCode, 409, 'a scheduled campaign cannot be topped up')
  await app.api.inject({ method: 'POST', url: `/v1/campaigns/${active.id}/cancel`, headers })
  t.equal((await topUp(app, headers, active.id)).statusCode, 409, 'a cancelled campaign cannot be topped up')
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${active.id}`, headers, payload: { name: 'x' } })).statusCode, 409)
  for (const status of ['completed', 'expired']) {
    await app.ctx.pool.query('update campaigns set status = $1 where id = $2', [status, scheduled.id])
    t.equal((await topUp(app, headers, scheduled.id)).statusCode, 409, `${status}: no top-up`)
    t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, headers, payload: { name: 'x' } })).statusCode, 409, `${status}: no patch`)
  }
})

t.test("another client's campaign is 404 on every endpoint", async t => {
  const app = await buildTestApp(t)
  const owner = await app.createClient()
  const stranger = await app.createClient()
  await seedLeads(app, owner.headers, [{ externalId: 'a' }])
  const active = await createCampaign(app, owner.headers, {})
  const scheduled = await createCampaign(app, owner.headers, { startAt: future() })
  const requests = (id: string) => [
    { method: 'GET' as const, url: `/v1/campaigns/${id}` },
    { method: 'PATCH' as const, url: `/v1/campaigns/${id}`, payload: { name: 'stolen' } },
    { method: 'POST' as const, url: `/v1/campaigns/${id}/enroll` },
    { method: 'POST' as const, url: `/v1/campaigns/${id}/cancel` },
    { method: 'GET' as const, url: `/v1/campaigns/${id}/enrollments` }
  ]
  for (const id of [active.id, scheduled.id, '00000000-0000-4000-8000-000000000000']) {
    for (const request of requests(id)) {
      const response = await app.api.inject({ ...request, headers: stranger.headers })
      t.equal(response.statusCode, 404, `${request.method} ${request.url}`)
      t.notMatch(response.body, /stolen|Campaign"/, 'no data leaks')
    }
  }
  const list = await app.api.inject({ method: 'GET', url: '/v1/campaigns', headers: stranger.headers })
  t.same(list.json().data, [], "the list shows only the caller's campaigns")
  const { rows } = await app.ctx.pool.query('select status, name from campaigns order by created_at')
  t.same(rows, [{ status: 'active', name: 'Campaign' }, { status: 'scheduled', name: 'Campaign' }], 'nothing changed')
  const bad = await app.api.inject({ method: 'GET', url: '/v1/campaigns/not-a-uuid', headers: owner.headers })
  t.equal(bad.statusCode, 400)
})

t.test('list filters by status and pages', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const made: unknown[] = []
  for (let i = 0; i < 3; i++) made.push(await createCampaign(app, headers, { name: `s${i}`, startAt: future() }))
  made.push(await createCampaign(app, headers, { name: 'a', messages: oneMessage }))
  const scheduled = await app.api.inject({ method: 'GET', url: '/v1/campaigns?status=scheduled&limit=2', headers })
  t.same(scheduled.json().data.map((c: { name: string }) => c.name), ['s0', 's1'])
  const next = await app.api.inject({ method: 'GET', url: `/v1/campaigns?status=scheduled&limit=2&cursor=${scheduled.json().nextCursor}`, headers })
  t.same(next.json().data.map((c: { name: string }) => c.name), ['s2'])
  t.equal(next.json().nextCursor, null)
})
