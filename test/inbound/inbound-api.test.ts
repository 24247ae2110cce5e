import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { enrollmentsOf, getLead, leadsWithPhones, postInbound } from './helpers.js'

t.test('STOP opts out every lead of the client with that phone and stops their enrollments; another client is not touched', async t => {
  const app = await buildTestApp(t)
  const acme = await app.createClient('Acme')
  const other = await app.createClient('Other')
  const ids = await leadsWithPhones(app, acme.headers, [
    { externalId: 'a1', phone: '+12133734253', tags: ['x'] },
    { externalId: 'a2', phone: '213 373 4253', tags: ['y'] },
    { externalId: 'b', phone: '+12133734254', tags: ['x'] }
  ])
  const [otherLead] = Object.values(await leadsWithPhones(app, other.headers, [{ externalId: 'o', phone: '+12133734253', tags: ['x'] }]))
  const x = await createCampaign(app, acme.headers, { name: 'X', targeting: { tags: ['x'] } })
  const y = await createCampaign(app, acme.headers, { name: 'Y', targeting: { tags: ['y'] }, stopOnReply: false })
  const otherCampaign = await createCampaign(app, other.headers, { targeting: { tags: ['x'] } })

  const stop = await postInbound(app, acme.headers, { from: '+1 213-373-4253', body: 'Stop' })
  t.equal(stop.statusCode, 200)
  t.same({ ...stop.json(), leadIds: [...stop.json().leadIds].sort() }, { id: stop.json().id, action: 'opted_out', leadIds: [ids.a1, ids.a2].sort(), stoppedEnrollments: 2 })
  for (const id of [ids.a1!, ids.a2!]) t.match(await getLead(app, acme.headers, id), { optedOut: true, optOutSource: 'inbound', optedOutAt: String })
  t.match(await getLead(app, acme.headers, ids.b!), { optedOut: false })
  t.match(await enrollmentsOf(app, acme.headers, x.id), [{ leadId: String, status: String }, { leadId: String, status: String }])
  const stoppedX = (await enrollmentsOf(app, acme.headers, x.id)).find(e => e.leadId === ids.a1)
  t.match(stoppedX, { status: 'stopped', stopReason: 'opted_out' })
  t.match((await enrollmentsOf(app, acme.headers, y.id))[0], { leadId: ids.a2, status: 'stopped', stopReason: 'opted_out' }, 'opt-out ignores stopOnReply')
  t.match((await enrollmentsOf(app, acme.headers, x.id)).find(e => e.leadId === ids.b), { status: 'active' })

  t.match(await getLead(app, other.headers, otherLead!), { optedOut: false, optOutSource: null }, "the other client's lead with the same phone is untouched")
  t.match(await enrollmentsOf(app, other.headers, otherCampaign.id), [{ status: 'active', stopReason: null }])
  const otherLog = await app.api.inject({ method: 'GET', url: '/v1/inbound-messages', headers: other.headers })
  t.same(otherLog.json().data, [], "and the message is not in the other client's log")

  // A PATCH opt-in, then a STOP again: the source is inbound, the time new.
  const stopAgain = await postInbound(app, acme.headers, { from: '2133734253', body: 'STOP' })
  t.same(stopAgain.json().stoppedEnrollments, 0, 'nothing left to stop')
  t.match(await getLead(app, acme.headers, ids.a1!), { optedOut: true, optOutSource: 'inbound' })
})

t.test('a reply stops enrollments only in campaigns with stopOnReply; START opts in without restarting', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const ids = await leadsWithPhones(app, headers, [{ externalId: 'a', phone: '+442079460958', tags: ['x'] }, { externalId: 'b', phone: '+442079460959', tags: ['y'] }])
  const x = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const y = await createCampaign(app, headers, { targeting: { tags: ['y'] }, stopOnReply: false })

  const replyA = await postInbound(app, headers, { from: '+44 20 7946 0958', body: 'Sounds good, call me tomorrow' })
  t.same(replyA.json(), { id: replyA.json().id, action: 'reply', leadIds: [ids.a], stoppedEnrollments: 1 })
  t.match(await enrollmentsOf(app, headers, x.id), [{ leadId: ids.a, status: 'stopped', stopReason: 'replied' }])
  t.match(await getLead(app, headers, ids.a!), { optedOut: false }, 'a reply is no opt-out')
  const replyB = await postInbound(app, headers, { from: '+442079460959', body: 'who is this?' })
  t.same(replyB.json().stoppedEnrollments, 0)
  t.match(await enrollmentsOf(app, headers, y.id), [{ leadId: ids.b, status: 'active', stopReason: null }], 'stopOnReply false: still active')

  await postInbound(app, headers, { from: '+442079460959', body: 'STOP' })
  const start = await postInbound(app, headers, { from: '+442079460959', body: 'unstop' })
  t.same(start.json(), { id: start.json().id, action: 'opted_in', leadIds: [ids.b], stoppedEnrollments: 0 })
  t.match(await getLead(app, headers, ids.b!), { optedOut: false, optedOutAt: null, optOutSource: null })
  t.match(await enrollmentsOf(app, headers, y.id), [{ status: 'stopped', stopReason: 'opted_out' }], 'opting in restarts nothing')
})

t.test('unknown sender, bad input, idempotent replays', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const unknown = await postInbound(app, headers, { from: '+12025550123', body: 'STOP' })
  t.equal(unknown.statusCode, 200)
  t.same(unknown.json(), { id: unknown.json().id, action: 'unknown_sender', leadIds: [], stoppedEnrollments: 0 })

  for (const [payload, path] of [
    [{ from: '12345', body: 'hi' }, 'from'],
    [{ from: 'ACME', body: 'hi' }, 'from'],
    [{ from: '+12133734253', body: 'x'.repeat(1601) }, 'body'],
    [{ from: '+12133734253' }, 'body'],
    [{ from: '+12133734253', body: 'hi', receivedAt: 'yesterday' }, 'receivedAt']
  ] as const) {
    const bad = await postInbound(app, headers, payload)
    t.equal(bad.statusCode, 400, JSON.stringify(payload))
    t.equal(bad.json().errors[0].path, path)
  }
  t.equal((await postInbound(app, headers, { from: '+12133734253', body: '😀'.repeat(1600) })).statusCode, 200, '1600 characters, not UTF-16 units')

  const ids = await leadsWithPhones(app, headers, [{ externalId: 'a', phone: '+12133734253', tags: ['x'] }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const key = { 'idempotency-key': 'provider-msg-1' }
  const first = await postInbound(app, headers, { from: '+12133734253', body: 'ok thanks' }, key)
  t.same(first.json(), { id: first.json().id, action: 'reply', leadIds: [ids.a], stoppedEnrollments: 1 })
  const replay = await postInbound(app, headers, { from: '+12133734253', body: 'ok thanks' }, key)
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.same(replay.json(), first.json(), 'the first answer, not a second application')
  const reused = await postInbound(app, headers, { from: '+12133734253', body: 'STOP' }, key)
  t.equal(reused.statusCode, 422)
  t.match(await getLead(app, headers, ids.a!), { optedOut: false })
  const log = await app.api.inject({ method: 'GET', url: `/v1/inbound-messages?leadId=${ids.a}`, headers })
  t.equal(log.json().data.length, 1, 'stored once')
  t.match(await enrollmentsOf(app, headers, campaign.id), [{ status: 'stopped', stopReason: 'replied' }])

  const metrics = await app.internal.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /inbound_messages_total\{action="reply"\} 1\n/, 'a replay is not counted again')
  t.match(metrics.body, /inbound_messages_total\{action="unknown_sender"\} 2\n/, 'the first and the 1600-character message, both before the lead existed')
  t.match(metrics.body, /inbound_messages_total\{action="opted_in"\} 0\n/)
})

t.test('GET /v1/inbound-messages: stored with what they did, paged, filtered by lead, per client', async t => {
  const app = await buildTestApp(t)
  const acme = await app.createClient('Acme')
  const other = await app.createClient('Other')
  const ids = await leadsWithPhones(app, acme.headers, [{ externalId: 'a', phone: '+12133734253', tags: ['x'] }, { externalId: 'b', phone: '+12133734254' }])
  const campaign = await createCampaign(app, acme.headers, { targeting: { tags: ['x'] } })
  await postInbound(app, acme.headers, { from: '+12133734253', body: 'hello', receivedAt: '2026-01-01T10:00:00+02:00' })
  await postInbound(app, acme.headers, { from: '+12133734254', body: 'HELP', receivedAt: '2026-01-01T09:00:00Z' })
  await postInbound(app, acme.headers, { from: '+12133734253', body: ' stop ', receivedAt: '2026-01-01T11:00:00Z' })
  await postInbound(app, other.headers, { from: '+12133734253', body: 'STOP' })

  const all = await app.api.inject({ method: 'GET', url: '/v1/inbound-messages?limit=2', headers: acme.headers })
  t.equal(all.statusCode, 200)
  t.match(all.json().data, [
    { from: '+12133734253', body: 'hello', action: 'reply', leadIds: [ids.a], stoppedEnrollments: 1, stoppedCampaignIds: [campaign.id], receivedAt: '2026-01-01T08:00:00.000Z', processedAt: String },
    { from: '+12133734254', body: 'HELP', action: 'help', leadIds: [ids.b], stoppedEnrollments: 0, stoppedCampaignIds: [] }
  ])
  const next = await app.api.inject({ method: 'GET', url: `/v1/inbound-messages?limit=2&cursor=${all.json().nextCursor}`, headers: acme.headers })
  t.match(next.json(), { data: [{ body: ' stop ', action: 'opted_out', stoppedEnrollments: 0 }], nextCursor: null })

  const ofA = await app.api.inject({ method: 'GET', url: `/v1/inbound-messages?leadId=${ids.a}`, headers: acme.headers })
  t.same(ofA.json().data.map((m: { body: string }) => m.body), ['hello', ' stop '])

  const otherList = await app.api.inject({ method: 'GET', url: '/v1/inbound-messages', headers: other.headers })
  t.match(otherList.json().data, [{ action: 'unknown_sender', leadIds: [] }])
  t.equal(otherList.json().data.length, 1)
  const foreignLead = await app.api.inject({ method: 'GET', url: `/v1/inbound-messages?leadId=${ids.a}`, headers: other.headers })
  t.same(foreignLead.json().data, [], "another client's lead id finds nothing")
  const foreignCursor = await app.api.inject({ method: 'GET', url: `/v1/inbound-messages?cursor=${all.json().nextCursor}`, headers: other.headers })
  t.same(foreignCursor.json().data, [], "another client's cursor finds nothing")
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/inbound-messages?leadId=nope', headers: acme.headers })).statusCode, 400)
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/inbound-messages' })).statusCode, 401)
})
