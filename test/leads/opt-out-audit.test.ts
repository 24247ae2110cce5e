import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'

t.test('an opt-out through the API records when and how; an opt-in clears both', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A' }, { externalId: 'b', firstName: 'B', optedOut: true }] } })
  const leads = (await app.api.inject({ method: 'GET', url: '/v1/leads', headers })).json().data
  const [a, b] = [leads.find((l: { externalId: string }) => l.externalId === 'a'), leads.find((l: { externalId: string }) => l.externalId === 'b')]
  t.match(a, { optedOut: false, optedOutAt: null, optOutSource: null })
  t.match(b, { optedOut: true, optOutSource: 'api', optedOutAt: String })

  const out = (await app.api.inject({ method: 'PATCH', url: `/v1/leads/${a.id}`, headers, payload: { optedOut: true } })).json()
  t.match(out, { optedOut: true, optOutSource: 'api' })
  t.ok(Date.parse(out.optedOutAt) >= Date.parse(a.createdAt))
  // Opting out again keeps the first withdrawal's time.
  const again = (await app.api.inject({ method: 'PATCH', url: `/v1/leads/${a.id}`, headers, payload: { optedOut: true, firstName: 'Al' } })).json()
  t.equal(again.optedOutAt, out.optedOutAt)
  const reimported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'Alan', optedOut: true }] } })
  t.same(reimported.json(), { created: 0, updated: 1, unchanged: 0 })
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/leads/${a.id}`, headers })).json().optedOutAt, out.optedOutAt, 'an import that keeps the opt-out keeps its time')

  const back = (await app.api.inject({ method: 'PATCH', url: `/v1/leads/${a.id}`, headers, payload: { optedOut: false } })).json()
  t.match(back, { optedOut: false, optedOutAt: null, optOutSource: null })
  await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'b', firstName: 'B', optedOut: false }] } })
  t.match((await app.api.inject({ method: 'GET', url: `/v1/leads/${b.id}`, headers })).json(), { optedOut: false, optedOutAt: null, optOutSource: null })
})

t.test('stopOnReply: default true, set on create, changed by PATCH, accepted by preview', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  t.equal((await createCampaign(app, headers, {})).stopOnReply, true)
  const scheduled = await createCampaign(app, headers, { stopOnReply: false, startAt: '2999-01-01T00:00:00Z' })
  t.equal(scheduled.stopOnReply, false)
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, headers, payload: { stopOnReply: true } })
  t.equal(patched.json().stopOnReply, true)
  const bad = await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, headers, payload: { stopOnReply: 'yes' } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().errors[0].path, 'stopOnReply')
  const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'P', messages: [{ body: 'x', delayMinutes: 0 }], stopOnReply: false } })
  t.equal(preview.statusCode, 200)
})
