import t from 'tap'
import { ADMIN_KEY, CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { holdClientLock, lockWaiter } from '../helpers/locks.js'

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
    { method: 'DELETE', url: '/v1/leads', headers },
    { method: 'GET', url: `/v1/leads/${'x'.repeat(5000)}`, headers },
    { method: 'GET', url: '/v1/leads/%E0%A4%A', headers }
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
  const wrongMethod = await app.api.inject({ method: 'PUT', url: '/v1/campaigns', headers })
  t.equal(wrongMethod.statusCode, 405, 'a known path with another method is 405, not 404')
  t.equal(wrongMethod.headers.allow, 'GET, HEAD, POST')
  const wrongOnItem = await app.api.inject({ method: 'DELETE', url: '/v1/leads/00000000-0000-4000-8000-000000000000', headers })
  t.equal(wrongOnItem.statusCode, 405)
  t.equal(wrongOnItem.headers.allow, 'GET, HEAD, PATCH')
  // GET /v1/leads/bulk matches GET /v1/leads/:id, but the caller meant the bulk import.
  const bulkGet = await app.api.inject({ method: 'GET', url: '/v1/leads/bulk', headers })
  t.equal(bulkGet.statusCode, 405, bulkGet.body)
  t.equal(bulkGet.headers.allow, 'POST')
  for (const [method, url] of [['PUT', '/v1/leads/bulk'], ['DELETE', '/v1/campaigns/preview']] as const) {
    const other = await app.api.inject({ method, url, headers })
    t.equal(other.statusCode, 405, `${method} ${url}`)
    t.equal(other.headers.allow, 'POST', 'a fixed path is not a value of the :id route beside it')
  }
  const unknown = await app.api.inject({ method: 'GET', url: '/v1/nonexistent', headers })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.headers['cache-control'], 'no-store', 'every /v1 answer, errors included')
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads/not-a-uuid', headers })).statusCode, 400, 'a bad id is still a 400')
  t.equal((await app.api.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled' })).statusCode, 404, 'the internal listener\'s paths stay unknown here')
  const unknownField = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'x', messages: [{ body: 'a', delayMinutes: 0 }], surprise: true } })
  t.same(unknownField.json().errors, [{ path: 'surprise', message: 'is not a known field' }])
})

t.test('thousands of bad items: the first errors are listed, the count of all is given', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const leads = Array.from({ length: 5000 }, (_, i) => ({ externalId: `e${i}`, firstName: 'x'.repeat(2000) }))
  const response = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads } })
  t.equal(response.statusCode, 400)
  const body = response.json()
  t.equal(body.errors.length, 100)
  t.equal(body.errorCount, 5000)
  t.match(body.errors[0], { path: 'leads/0/firstName' })
  t.match(body.detail, /^leads\/0\/firstName .*; and 4990 more$/)
  t.ok(response.body.length < 20_000, `a bounded answer (${response.body.length} bytes)`)
})

t.test('readyz is 503 when the database is unreachable; healthz stays up', async t => {
  const app = await buildTestApp(t, { databaseUrl: 'postgres://postgres@127.0.0.1:1/none' })
  t.equal((await app.api.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  const ready = await app.api.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 503, detail: 'the database is unreachable' })
  t.equal(ready.headers['retry-after'], '5')
  t.notMatch(ready.body, /127\.0\.0\.1|ECONNREFUSED/, 'no connection details')
  // Any request needing the database: 503 with Retry-After (callers retry), not a 500 (a bug).
  for (const [server, url, method] of [[app.api, '/v1/leads', 'GET'], [app.api, '/v1/admin/clients', 'POST'], [app.internal, '/internal/campaigns/activate-scheduled', 'POST']] as const) {
    const response = await server.inject({ method, url, headers: { authorization: `Bearer ${url.includes('admin') ? ADMIN_KEY : url.includes('internal') ? CRON_SECRET : 'cs_unknown_key_000000000000'}` }, ...(method === 'POST' && url.includes('admin') ? { payload: { name: 'x' } } : {}) })
    t.equal(response.statusCode, 503, `${method} ${url}: ${response.body}`)
    t.match(response.json(), { type: /database-unavailable$/, detail: /try again/ })
    t.equal(response.headers['retry-after'], '5')
    t.notMatch(response.body, /127\.0\.0\.1|ECONNREFUSED/)
  }
  const healthy = await buildTestApp(t)
  t.equal((await healthy.api.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

t.test('a connection killed in the middle of a request is a 503 for that request, not a crash', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  // Hold the client's lock so the import waits on it with its connection checked out.
  const lock = await holdClientLock(t, app, clientId)
  const importing = Promise.resolve(app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A' }] } }))
  const waiting = await lockWaiter(app)
  t.ok(waiting, 'the import is waiting on the lock')
  await app.ctx.pool.query('select pg_terminate_backend($1)', [waiting])
  const response = await importing
  t.equal(response.statusCode, 503, response.body)
  t.match(response.json(), { type: /database-unavailable$/ })
  await lock.release()
  const again = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A' }] } })
  t.equal(again.statusCode, 200, 'the service goes on')
})
