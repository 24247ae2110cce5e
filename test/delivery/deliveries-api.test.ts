import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { claim, enrollmentOf, makeDue, report, tick } from '../helpers/deliveries.js'
import { scrape } from '../helpers/metrics-text.js'
import { seedLeads } from '../helpers/seed.js'

const messages = [{ body: 'Hi {{first_name}} {{last_name}}!', delayMinutes: 0 }, { body: 'Bye {{first_name}}.', delayMinutes: 60 }]

t.test('the sequence: rendered bodies, the next message after a delay, completion', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'ada', firstName: 'Ada', tags: ['x'], phone: '+15551230001', lastName: 'Lovelace' } as never, { externalId: 'bo', firstName: 'Bo', tags: ['x'], phone: '+15551230002' } as never])
  const ids = await leadIdsOf(app, clientId)
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages })
  const first = await claim(app, headers)
  t.equal(first.length, 2)
  const ada = first.find(d => d.leadId === ids.get('ada'))
  t.match(ada, { campaignId: campaign.id, step: 0, to: '+15551230001', body: 'Hi Ada Lovelace!', status: 'leased', attempts: 1, sentAt: null })
  t.equal(first.find(d => d.leadId === ids.get('bo')).body, 'Hi Bo !', 'no last name: empty')
  t.ok(Date.parse(ada.leaseExpiresAt) - Date.now() > 250_000, 'default lease: 300 s')
  t.same(await claim(app, headers), [], 'leased: not handed out again')

  const sent = await report(app, headers, ada.id, { outcome: 'sent', providerMessageId: 'SM1' })
  t.equal(sent.statusCode, 200, sent.body)
  t.match(sent.json(), { id: ada.id, status: 'sent', providerMessageId: 'SM1', leaseExpiresAt: null, sentAt: /^\d{4}-/ })
  const moved = await enrollmentOf(app, headers, campaign.id, ids.get('ada') ?? '')
  t.match(moved, { status: 'active', nextStep: 1, stopReason: null })
  t.ok(Math.abs(Date.parse(moved.nextDueAt) - Date.now() - 3600_000) < 60_000, 'message 1 is due 60 minutes after message 0 was sent')
  t.equal(moved.completesAt, moved.nextDueAt, 'the last message is the next one')
  t.same(await claim(app, headers), [], 'message 1 is not due yet')

  await makeDue(app)
  const second = await claim(app, headers)
  t.match(second, [{ step: 1, body: 'Bye Ada.', leadId: ids.get('ada') }])
  t.equal((await report(app, headers, second[0].id, { outcome: 'sent' })).statusCode, 200)
  t.match(await enrollmentOf(app, headers, campaign.id, ids.get('ada') ?? ''), { status: 'completed', nextStep: null, nextDueAt: null })

  const stats = (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/stats`, headers })).json()
  t.same(stats, {
    enrollments: { active: 1, completed: 1, stopped: 0 },
    stopReasons: { opted_out: 0, campaign_cancelled: 0, replied: 0, delivery_failed: 0 },
    replies: 0,
    optOuts: 0,
    steps: [{ step: 0, pending: 0, leased: 1, sent: 1, failed: 0, skipped: 0 }, { step: 1, pending: 1, leased: 0, sent: 1, failed: 0, skipped: 0 }]
  }, 'Bo\'s message 1 is counted pending before its row exists')

  const bo = first.find(d => d.leadId === ids.get('bo'))
  await report(app, headers, bo.id, { outcome: 'sent' })
  await makeDue(app)
  await report(app, headers, (await claim(app, headers))[0].id, { outcome: 'sent' })
  t.same((await tick(app)).completed, [campaign.id], 'the tick completes the campaign once every enrollment ended')

  const list = (await app.api.inject({ method: 'GET', url: `/v1/deliveries?campaignId=${campaign.id}&status=sent&limit=3`, headers })).json()
  t.equal(list.data.length, 3)
  t.ok(list.nextCursor)
  const rest = (await app.api.inject({ method: 'GET', url: `/v1/deliveries?campaignId=${campaign.id}&status=sent&cursor=${list.nextCursor}`, headers })).json()
  t.equal(rest.data.length, 1)
  t.equal(rest.nextCursor, null)
  const byLead = (await app.api.inject({ method: 'GET', url: `/v1/deliveries?leadId=${ids.get('bo')}`, headers })).json()
  t.same(byLead.data.map((d: { step: number }) => d.step), [0, 1])

  const metrics = await scrape(app)
  t.equal(metrics.value('deliveries_claimed_total'), 4)
  t.equal(metrics.value('deliveries_sent_total'), 4)
  t.equal(metrics.value('delivery_oldest_due_age_seconds'), 0)
})

t.test('results: the same again changes nothing, another outcome conflicts, another client\'s is not found', async t => {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, Array.from({ length: 4 }, (_, i) => ({ externalId: `a${i}`, tags: ['x'], phone: `+1555123000${i}` }) as never))
  await seedLeads(app, two.headers, [{ externalId: 'z', tags: ['x'], phone: '+15551239999' } as never])
  await createCampaign(app, one.headers, { targeting: { tags: ['x'] }, messages })
  await createCampaign(app, two.headers, { targeting: { tags: ['x'] }, messages })
  const mine = await claim(app, one.headers)
  const [theirs] = await claim(app, two.headers)
  t.equal(mine.length, 4)
  const [a, b, c, d] = mine
  t.equal((await report(app, one.headers, a.id, { outcome: 'sent' })).statusCode, 200)
  const repeat = await report(app, one.headers, a.id, { outcome: 'sent', providerMessageId: 'other' })
  t.equal(repeat.statusCode, 200)
  t.equal(repeat.json().providerMessageId, null, 'nothing changed')
  const clash = await report(app, one.headers, a.id, { outcome: 'failed' })
  t.equal(clash.statusCode, 409)
  t.match(clash.json(), { status: 409, detail: /already sent/ })
  t.equal((await report(app, one.headers, theirs.id, { outcome: 'sent' })).statusCode, 404, "another client's delivery")
  t.equal((await report(app, two.headers, theirs.id, { outcome: 'sent' })).statusCode, 200, 'still leased for its owner')

  const batch = await app.api.inject({
    method: 'POST', url: '/v1/deliveries/results', headers: one.headers,
    payload: { results: [
      { id: a.id, outcome: 'sent' }, { id: b.id, outcome: 'sent' }, { id: c.id, outcome: 'failed', retryable: false },
      { id: a.id, outcome: 'failed' }, { id: theirs.id, outcome: 'sent' }, { id: d.id, outcome: 'sent' }, { id: d.id, outcome: 'sent' }
    ] }
  })
  t.equal(batch.statusCode, 200, batch.body)
  t.same(batch.json(), {
    applied: 3, unchanged: 2, notFound: [theirs.id],
    conflicts: [{ id: a.id, detail: 'an earlier result for this delivery in the same batch says sent' }]
  })
  const tooMany = await app.api.inject({ method: 'POST', url: '/v1/deliveries/results', headers: one.headers, payload: { results: Array.from({ length: 501 }, () => ({ id: a.id, outcome: 'sent' })) } })
  t.equal(tooMany.statusCode, 400)
  const bad = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers: one.headers, payload: { limit: 501, leaseSeconds: 5 } })
  t.equal(bad.statusCode, 400)
  t.same(bad.json().errors.map((e: { path: string }) => e.path).sort(), ['leaseSeconds', 'limit'])
  const listed = (await app.api.inject({ method: 'GET', url: '/v1/deliveries', headers: two.headers })).json()
  t.same(listed.data.map((x: { id: string }) => x.id), [theirs.id], 'a client lists only its own')
})

t.test('the oldest due age gauge', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], phone: '+15551230001' } as never])
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages })
  await tick(app)
  await app.ctx.pool.query(`update deliveries set due_at = now() - interval '10 minutes'`)
  const age = (await scrape(app)).value('delivery_oldest_due_age_seconds') ?? 0
  t.ok(age >= 600 && age < 700, `${age}`)
})

t.test('send window: read in the lead\'s zone when it has one, else the window\'s', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [
    { externalId: 'tokyo', tags: ['x'], phone: '+15551230001', timezone: 'Asia/Tokyo' } as never,
    { externalId: 'plain', tags: ['x'], phone: '+15551230002' } as never
  ])
  const ids = await leadIdsOf(app, clientId)
  // A one-hour window starting two hours from now (UTC), so now is outside it.
  const hour = (new Date().getUTCHours() + 2) % 24
  const pad = (h: number) => String(h).padStart(2, '0') + ':00'
  const sendWindow = { start: pad(hour), end: hour === 23 ? '24:00' : pad(hour + 1), timezone: 'Europe/London' }
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages, sendWindow })
  const { nextSendTime } = await import('../../src/delivery/send-window.js')
  const { rows } = await app.ctx.pool.query<{ lead_id: string, enrolled_at: Date }>('select lead_id, enrolled_at from enrollments')
  const expected = new Map(rows.map(r => [r.lead_id, nextSendTime(r.enrolled_at, sendWindow, r.lead_id === ids.get('tokyo') ? 'Asia/Tokyo' : null).toISOString()]))
  t.not(expected.get(ids.get('tokyo') ?? ''), expected.get(ids.get('plain') ?? ''), 'two zones, two due times')
  for (const [lead, due] of expected) t.equal((await enrollmentOf(app, headers, campaign.id, lead)).nextDueAt, due, 'nextDueAt shows the window')
  t.same(await claim(app, headers), [], 'outside the window: nothing is due')
  const { rows: made } = await app.ctx.pool.query<{ lead_id: string, due_at: Date }>('select lead_id, due_at from deliveries')
  t.same(Object.fromEntries(made.map(r => [r.lead_id, r.due_at.toISOString()])), Object.fromEntries(expected), 'the rows are due at the window\'s opening')
  for (const [lead, due] of expected) t.equal((await enrollmentOf(app, headers, campaign.id, lead)).nextDueAt, due, 'the same once the row exists')
})
