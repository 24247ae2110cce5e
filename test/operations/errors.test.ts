import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('errors are problem+json without internals; bad input is never a 500', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const cases = [
    { method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"leads": [' },
    { method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json' }, payload: '' },
    { method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'hello' },
    { method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: 'no' } },
    { method: 'POST', url: '/v1/leads/bulk', headers, payload: [1, 2] },
    { method: 'GET', url: '/v1/leads/12', headers },
    { method: 'GET', url: '/v1/leads?limit=0', headers },
    { method: 'GET', url: '/v1/leads?limit=abc', headers },
    { method: 'GET', url: '/v1/leads?cursor=nope', headers },
    { method: 'GET', url: '/v1/campaigns?status=running', headers },
    { method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'x', messages: [{ body: 'a', delayMinutes: 1.5 }] } },
    { method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'x', messages: [{ body: 'a', delayMinutes: 0 }], startAt: 'tomorrow' } },
    { method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'x', messages: [{ body: 'a', delayMinutes: 0 }], surprise: true } },
    { method: 'GET', url: '/v1/nothing-here', headers },
    { method: 'DELETE', url: '/v1/leads', headers }
  ] as const
  for (const request of cases) {
    const response = await app.api.inject(request as never)
    const label = `${request.method} ${request.url} ${JSON.stringify((request as { payload?: unknown }).payload ?? '')}`
    t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label} → ${response.statusCode}`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, label)
    const body = response.json()
    t.match(body, { type: String, title: String, status: response.statusCode, detail: String }, label)
    t.notMatch(response.body, /at .*\.ts|node_modules|select |insert /i, `${label}: no stack or SQL`)
  }
  const unknownField = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'x', messages: [{ body: 'a', delayMinutes: 0 }], surprise: true } })
  t.same(unknownField.json().errors, [{ path: 'surprise', message: 'is not a known field' }])
})

t.test('an empty application/json body on a body-less POST is accepted', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'c', messages: [{ body: 'hi', delayMinutes: 0 }] } })
  const response = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${created.json().id}/enroll`, headers: { ...headers, 'content-type': 'application/json' }, payload: '' })
  t.equal(response.statusCode, 200, response.body)
  const proto = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1},"leads":[]}' })
  t.equal(proto.statusCode, 400, 'prototype poisoning is refused')
})

t.test('requests carry an id; a given x-request-id is echoed', async t => {
  const app = await buildTestApp(t)
  const generated = await app.api.inject({ method: 'GET', url: '/healthz' })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const given = await app.api.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-123' } })
  t.equal(given.headers['x-request-id'], 'trace-123')
})

t.test('readyz is 503 when the database is unreachable; healthz stays up', async t => {
  const app = await buildTestApp(t, { databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })
  t.equal((await app.api.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  const ready = await app.api.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 503, detail: 'the database is unreachable' })
  t.notMatch(ready.body, /127\.0\.0\.1|ECONNREFUSED/, 'no connection details')
  const healthy = await buildTestApp(t)
  t.equal((await healthy.api.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

t.test('metrics: request latency histogram and pool gauges on the internal listener', async t => {
  const app = await buildTestApp(t)
  await app.api.inject({ method: 'GET', url: '/readyz' })
  const metrics = await app.internal.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /http_request_duration_seconds_bucket\{.*listener="public",method="GET",route="\/readyz",status="200"/)
  t.match(metrics.body, /db_pool_connections\{state="total"\}/)
})
