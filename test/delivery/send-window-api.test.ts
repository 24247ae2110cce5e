import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { oneMessage } from '../helpers/seed.js'

const later = () => new Date(Date.now() + 86_400_000).toISOString()
const paths = (body: { errors?: Array<{ path: string }> }) => (body.errors ?? []).map(e => e.path).sort()

t.test('campaign sendWindow: 400s name the field on create, preview and PATCH', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const scheduled = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'S', messages: oneMessage, startAt: later() } })
  t.equal(scheduled.statusCode, 201, scheduled.body)
  const cases: Array<[unknown, string[]]> = [
    [{ start: '9:00', end: '17:00' }, ['sendWindow/start']],
    [{ start: '09:00', end: '24:01' }, ['sendWindow/end']],
    [{ start: '24:00', end: '24:00' }, ['sendWindow/start']],
    [{ start: '09:60', end: '17:00' }, ['sendWindow/start']],
    [{ start: '17:00', end: '09:00' }, ['sendWindow/end']],
    [{ start: '09:00', end: '09:00' }, ['sendWindow/end']],
    [{ start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }, ['sendWindow/timezone']],
    [{ start: '09:00', end: '17:00', timezone: '+05:00' }, ['sendWindow/timezone']],
    [{ start: '09:00', end: '17:00', days: ['mon', 'funday'] }, ['sendWindow/days/1']],
    [{ start: '09:00', end: '17:00', days: ['mon', 'mon'] }, ['sendWindow/days']],
    [{ start: '09:00', end: '17:00', days: [] }, ['sendWindow/days']],
    [{ start: '09:00' }, ['sendWindow/end']],
    [{ start: '09:00', end: '17:00', tz: 'UTC' }, ['sendWindow/tz']],
    ['09:00-17:00', ['sendWindow']]
  ]
  for (const [sendWindow, expected] of cases) {
    const body = { name: 'x', messages: oneMessage, sendWindow }
    for (const [method, url, payload] of [
      ['POST', '/v1/campaigns', body], ['POST', '/v1/campaigns/preview', body],
      ['PATCH', `/v1/campaigns/${scheduled.json().id}`, { sendWindow }]
    ] as const) {
      const response = await app.api.inject({ method, url, headers, payload })
      t.equal(response.statusCode, 400, `${method} ${url} ${JSON.stringify(sendWindow)}`)
      t.same(paths(response.json()), expected, `${method} ${url} ${JSON.stringify(sendWindow)}: ${response.json().detail}`)
    }
  }
  const list = await app.api.inject({ method: 'GET', url: '/v1/campaigns', headers })
  t.equal(list.json().data.length, 1, 'no bad campaign was created')
})

t.test('campaign sendWindow round-trips; PATCH sets, replaces and clears it', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const window = { start: '09:00', end: '24:00', days: ['mon', 'fri'], timezone: 'America/New_York' }
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'W', messages: oneMessage, sendWindow: window } })
  t.equal(created.statusCode, 201, created.body)
  t.same(created.json().sendWindow, window)
  const got = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${created.json().id}`, headers })
  t.same(got.json().sendWindow, window)

  const plain = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'P', messages: oneMessage, startAt: later() } })
  t.equal(plain.json().sendWindow, null, 'no window: null')
  const url = `/v1/campaigns/${plain.json().id}`
  const set = await app.api.inject({ method: 'PATCH', url, headers, payload: { sendWindow: { start: '08:30', end: '20:00' } } })
  t.equal(set.statusCode, 200, set.body)
  t.same(set.json().sendWindow, { start: '08:30', end: '20:00' }, 'no default written in: the window reads in UTC')
  const renamed = await app.api.inject({ method: 'PATCH', url, headers, payload: { name: 'Renamed' } })
  t.same(renamed.json().sendWindow, { start: '08:30', end: '20:00' }, 'left out: kept')
  const cleared = await app.api.inject({ method: 'PATCH', url, headers, payload: { sendWindow: null } })
  t.equal(cleared.statusCode, 200)
  t.equal(cleared.json().sendWindow, null)
  t.equal((await app.api.inject({ method: 'GET', url, headers })).json().sendWindow, null)

  const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'x', messages: oneMessage, sendWindow: window } })
  t.equal(preview.statusCode, 200, preview.body)
})

t.test('lead timezone: on import and PATCH, returned, cleared with null; unknown names are 400s naming the field', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const bad = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'a', firstName: 'A', timezone: 'Europe/London' },
    { externalId: 'b', firstName: 'B', timezone: 'Europe/Londn' },
    { externalId: 'c', firstName: 'C', timezone: '' },
    { externalId: 'd', firstName: 'D', timezone: 5 }
  ] } })
  t.equal(bad.statusCode, 400)
  t.same(paths(bad.json()), ['leads/2/timezone', 'leads/3/timezone'], 'schema errors first')
  const unknown = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'a', firstName: 'A', timezone: 'Europe/London' },
    { externalId: 'b', firstName: 'B', timezone: 'Europe/Londn' }
  ] } })
  t.equal(unknown.statusCode, 400)
  t.same(unknown.json().errors, [{ path: 'leads/1/timezone', message: 'is not a known IANA time-zone name (e.g. "America/New_York", "Europe/London", "UTC")' }])
  t.same((await app.api.inject({ method: 'GET', url: '/v1/leads', headers })).json().data, [], 'nothing written')

  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'a', firstName: 'A', timezone: 'Australia/Lord_Howe' },
    { externalId: 'b', firstName: 'B' }
  ] } })
  t.same(imported.json(), { created: 2, updated: 0, unchanged: 0 })
  const leads = (await app.api.inject({ method: 'GET', url: '/v1/leads', headers })).json().data
  const byExternal = Object.fromEntries(leads.map((lead: { externalId: string }) => [lead.externalId, lead]))
  t.equal(byExternal.a.timezone, 'Australia/Lord_Howe')
  t.equal(byExternal.b.timezone, null)

  const same = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A', timezone: 'Australia/Lord_Howe' }, { externalId: 'b', firstName: 'B', timezone: 'Asia/Tokyo' }] } })
  t.same(same.json(), { created: 0, updated: 1, unchanged: 1 }, 'a changed zone is an update; the same one is not')
  const kept = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'b', firstName: 'B' }] } })
  t.same(kept.json(), { created: 0, updated: 0, unchanged: 1 }, 'left out: kept')

  const url = `/v1/leads/${String(byExternal.b.id)}`
  t.equal((await app.api.inject({ method: 'GET', url, headers })).json().timezone, 'Asia/Tokyo')
  const badPatch = await app.api.inject({ method: 'PATCH', url, headers, payload: { timezone: 'Asia/Tokio' } })
  t.equal(badPatch.statusCode, 400)
  t.same(paths(badPatch.json()), ['timezone'])
  const patched = await app.api.inject({ method: 'PATCH', url, headers, payload: { timezone: 'America/New_York' } })
  t.equal(patched.statusCode, 200, patched.body)
  t.equal(patched.json().timezone, 'America/New_York')
  const cleared = await app.api.inject({ method: 'PATCH', url, headers, payload: { timezone: null } })
  t.equal(cleared.json().timezone, null)
})
