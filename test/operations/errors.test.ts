import t from 'tap'
import { connect, type AddressInfo } from 'node:net'
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

t.test('an empty application/json body on a body-less POST is accepted', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'c', messages: [{ body: 'hi', delayMinutes: 0 }] } })
  const response = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${created.json().id}/enroll`, headers: { ...headers, 'content-type': 'application/json' }, payload: '' })
  t.equal(response.statusCode, 200, response.body)
  const proto = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1},"leads":[]}' })
  t.equal(proto.statusCode, 400, 'prototype poisoning is refused')
  t.match(proto.json(), { type: /forbidden-json-key$/, detail: /forbidden key/ }, 'and said so, not called malformed')
  const braces = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${created.json().id}/enroll`, headers, payload: {} })
  t.equal(braces.statusCode, 200, 'an empty object is no body too')
  const typo = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${created.json().id}/cancel`, headers, payload: { reason: 'x' } })
  t.equal(typo.statusCode, 400, 'a field sent to an endpoint that takes none is refused')
  t.same(typo.json().errors, [{ path: 'reason', message: 'is not a known field (this endpoint takes no body)' }])
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/campaigns/${created.json().id}`, headers })).json().status, 'active', 'and nothing happened')
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

t.test('metrics: request latency histogram and pool gauges on the internal listener', async t => {
  const app = await buildTestApp(t)
  await app.api.inject({ method: 'GET', url: '/readyz' })
  const metrics = await app.internal.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /http_request_duration_seconds_bucket\{.*listener="public",method="GET",route="\/readyz",status="200"/)
  t.match(metrics.body, /db_pool_connections\{state="total"\}/)
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

t.test('a compressed body is a 415, and a request Node cannot parse still gets problem+json', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const gzip = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: Buffer.from([0x1f, 0x8b, 0x08, 0x00]) })
  t.equal(gzip.statusCode, 415)
  t.match(gzip.json(), { type: /unsupported-content-encoding$/, detail: /gzip/ })
  t.match(gzip.headers, { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' })
  const latin1 = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json; charset=iso-8859-1' }, payload: '{"leads":[]}' })
  t.equal(latin1.statusCode, 415)
  t.match(latin1.json(), { detail: /charset iso-8859-1/ })
  const utf8 = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: { ...headers, 'content-type': 'application/json; charset=UTF-8' }, payload: '{"leads":[{"externalId":"u","firstName":"U"}]}' })
  t.equal(utf8.statusCode, 200, 'charset=UTF-8 is fine')

  await app.api.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.api.server.address() as AddressInfo
  const raw = async (request: string): Promise<string> => await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => { socket.write(request) })
    let answer = ''
    socket.on('data', chunk => { answer += chunk.toString() })
    socket.on('end', () => { resolve(answer) })
    socket.on('error', reject)
  })
  const answer = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(answer, /content-type: application\/problem\+json/i)
  t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { status: 400, detail: 'the request is not valid HTTP' })
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

t.test('a body that is not UTF-8 is a 400, not text quietly replaced by U+FFFD', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const json = { ...headers, 'content-type': 'application/json' }
  const bad = Buffer.concat([Buffer.from('{"leads":[{"externalId":"bad'), Buffer.from([0xff]), Buffer.from('","firstName":"A"}]}')])
  const refused = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: json, payload: bad })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { type: /malformed-json$/, detail: /not valid UTF-8/ })
  const good = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: json, payload: Buffer.from('{"leads":[{"externalId":"zoë","firstName":"Zoë 😀"}]}') })
  t.equal(good.statusCode, 200, good.body)
  t.match((await app.api.inject({ method: 'GET', url: '/v1/leads', headers })).json().data, [{ externalId: 'zoë', firstName: 'Zoë 😀' }])
})
