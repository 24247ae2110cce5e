import t from 'tap'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.js'

// Input the database could not hold or would misread is a 400 naming the field, never a 500.

t.test('text and numbers the database cannot hold are a 400 naming the field, never a 500', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const json = { ...headers, 'content-type': 'application/json' }
  const messages = [{ body: 'Hi', delayMinutes: 0 }]
  const scheduled = (await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 's', messages, startAt: '2099-01-01T00:00:00Z' } })).json()
  const cases: Array<{ method: string, url: string, payload?: string, path: string }> = [
    { method: 'POST', url: '/v1/leads/bulk', payload: '{"leads":[{"externalId":"a","firstName":"A"},{"externalId":"b","firstName":"B","lastName":"x\\u0000y"}]}', path: 'leads/1/lastName' },
    { method: 'POST', url: '/v1/leads/bulk', payload: '{"leads":[{"externalId":"a","firstName":"A\\ud800"}]}', path: 'leads/0/firstName' },
    { method: 'POST', url: '/v1/leads/bulk', payload: '{"leads":[{"externalId":"a","firstName":"A","tags":["ok","\\udc00"]}]}', path: 'leads/0/tags/1' },
    { method: 'GET', url: '/v1/leads?tag=a%00b', path: 'tag' },
    { method: 'POST', url: '/v1/campaigns/preview', payload: '{"name":"p","messages":[{"body":"Hi","delayMinutes":0}],"targeting":{"tags":["a\\u0000"]}}', path: 'targeting/tags/0' },
    { method: 'POST', url: '/v1/campaigns', payload: JSON.stringify({ name: 'c', messages, maxLeadsToEnroll: 2147483648 }), path: 'maxLeadsToEnroll' },
    { method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, payload: JSON.stringify({ maxLeadsToEnroll: Number.MAX_SAFE_INTEGER + 1 }), path: 'maxLeadsToEnroll' },
    { method: 'POST', url: '/v1/leads/bulk', payload: JSON.stringify({ leads: [{ externalId: 'a', firstName: 'A', createdAt: '0000-01-01T00:00:00Z' }] }), path: 'leads/0/createdAt' },
    { method: 'POST', url: '/v1/leads/bulk', payload: JSON.stringify({ leads: [{ externalId: 'a', firstName: 'A', createdAt: '2024-01-01T00:00:00-23:59' }] }), path: 'leads/0/createdAt' },
    { method: 'POST', url: '/v1/campaigns/preview', payload: JSON.stringify({ name: 'p', messages, targeting: { createdAfter: '0001-01-01T00:00:00+01:00' } }), path: 'targeting/createdAfter' },
    { method: 'POST', url: '/v1/campaigns', payload: JSON.stringify({ name: 'c', messages, startAt: '9999-12-31T23:59:59-01:00' }), path: 'startAt' }
  ]
  for (const { path, ...request } of cases) {
    const response = await app.api.inject({ ...request, headers: json } as never)
    t.equal(response.statusCode, 400, `${request.method} ${request.url} ${request.payload ?? ''}`)
    t.ok(response.json().errors?.some((e: { path: string }) => e.path === path), `names ${path}: ${response.body}`)
  }
  const { rows } = await app.ctx.pool.query('select count(*)::int as n from leads')
  t.equal(rows[0].n, 0, 'nothing was written')
  const plain = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'text/plain' }, payload: '{"leads":[]}' })
  t.equal(plain.statusCode, 415, 'a JSON text sent as text/plain is refused as such')
})

t.test('a body nested thousands deep is a 400, not a stack overflow', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const json = { ...headers, 'content-type': 'application/json' }
  for (const [url, payload] of [
    ['/v1/leads/bulk', '['.repeat(10_000) + ']'.repeat(10_000)],
    ['/v1/campaigns/preview', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['/v1/leads/bulk', `{"leads":[{"externalId":"a","firstName":"A","tags":${'['.repeat(5000)}${']'.repeat(5000)}}]}`]
  ] as const) {
    const response = await app.api.inject({ method: 'POST', url, headers: json, payload })
    t.equal(response.statusCode, 400, `${url} ${payload.slice(0, 30)}`)
    t.match(response.json(), { type: /validation-error$/, errors: [{ message: /nested too deeply/ }] })
  }
})

t.test('a name, tag, message or id of only spaces is refused as blank, naming the field', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const messages = [{ body: 'Hi', delayMinutes: 0 }]
  const cases: Array<{ url: string, payload: object, path: string, admin?: true }> = [
    { url: '/v1/admin/clients', payload: { name: '   ' }, path: 'name', admin: true },
    { url: '/v1/campaigns', payload: { name: ' \t ', messages }, path: 'name' },
    { url: '/v1/campaigns', payload: { name: 'c', messages: [{ body: '   ', delayMinutes: 0 }] }, path: 'messages/0/body' },
    { url: '/v1/campaigns/preview', payload: { name: 'c', messages, targeting: { tags: [' '] } }, path: 'targeting/tags/0' },
    { url: '/v1/leads/bulk', payload: { leads: [{ externalId: '  ', firstName: 'A' }] }, path: 'leads/0/externalId' },
    { url: '/v1/leads/bulk', payload: { leads: [{ externalId: 'a', firstName: '\n' }] }, path: 'leads/0/firstName' },
    { url: '/v1/leads/bulk', payload: { leads: [{ externalId: 'a', firstName: 'A', tags: ['ok', '  '] }] }, path: 'leads/0/tags/1' }
  ]
  for (const { url, payload, path, admin } of cases) {
    const response = await app.api.inject({ method: 'POST', url, headers: admin === true ? { authorization: `Bearer ${ADMIN_KEY}` } : headers, payload })
    t.equal(response.statusCode, 400, `${url} ${JSON.stringify(payload)}`)
    t.match(response.json().errors, [{ path, message: 'must not be blank' }], path)
  }
  t.equal((await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: ' a ', firstName: ' Ada ' }] } })).statusCode, 200, 'spaces around text are fine')
})

t.test('a created range given with an offset is answered in UTC, every digit kept', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const targeting = { createdAfter: '2020-01-01T02:00:00+03:00', createdBefore: '2030-01-01T00:00:00.123456-05:00' }
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'c', targeting, messages: [{ body: 'Hi', delayMinutes: 0 }], startAt: '2099-01-01T00:00:00+01:00' } })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { startAt: '2098-12-31T23:00:00.000Z', targeting: { createdAfter: '2019-12-31T23:00:00Z', createdBefore: '2030-01-01T05:00:00.123456Z' } })
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${created.json().id}`, headers, payload: { targeting: { createdAfter: '2021-06-01T00:00:00-07:00' } } })
  t.match(patched.json().targeting, { createdAfter: '2021-06-01T07:00:00Z' })
})
