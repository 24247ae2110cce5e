import t from 'tap'
import type { AddressInfo } from 'node:net'
import { buildTestApp } from '../helpers/app.js'
import { rawRequest } from '../helpers/raw-http.js'

// What arrives on the wire: empty, compressed, non-UTF-8 and unparseable requests, request ids.

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
  const raw = async (request: string): Promise<string> => await rawRequest(port, request)
  const answer = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(answer, /content-type: application\/problem\+json/i)
  t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { status: 400, detail: 'the request is not valid HTTP' })
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

t.test('requests carry an id; a given x-request-id is echoed', async t => {
  const app = await buildTestApp(t)
  const generated = await app.api.inject({ method: 'GET', url: '/healthz' })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const given = await app.api.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-123' } })
  t.equal(given.headers['x-request-id'], 'trace-123')
})
