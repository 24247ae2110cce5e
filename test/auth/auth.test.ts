import t from 'tap'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.js'

t.test('admin API: token required, 503 when ADMIN_API_KEY is unset', async t => {
  const app = await buildTestApp(t)
  const create = (authorization?: string) => app.api.inject({ method: 'POST', url: '/v1/admin/clients', headers: authorization !== undefined ? { authorization } : {}, payload: { name: 'Acme' } })
  t.equal((await create()).statusCode, 401)
  t.equal((await create('Bearer wrong')).statusCode, 401)
  t.equal((await create(`Basic ${ADMIN_KEY}`)).statusCode, 401)
  const created = await create(`Bearer ${ADMIN_KEY}`)
  t.equal(created.statusCode, 201)
  t.match(created.json(), { id: /^[0-9a-f-]{36}$/, name: 'Acme', createdAt: /Z$/, apiKey: /^cs_/, apiKeyId: /^[0-9a-f-]{36}$/ })
  t.match(created.headers, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, 'a new key is never cached')
  // The first key can be revoked like any other.
  const revoked = await app.api.inject({ method: 'DELETE', url: `/v1/admin/clients/${created.json().id}/api-keys/${created.json().apiKeyId}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  t.equal(revoked.statusCode, 204)
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads', headers: { authorization: `Bearer ${created.json().apiKey}` } })).statusCode, 401, 'the revoked first key is refused')
  const { rows } = await app.ctx.pool.query('select key_hash from api_keys')
  t.notOk(rows.some(r => r.key_hash.toString('utf8').includes(created.json().apiKey)), 'only a hash is stored')

  const closed = await buildTestApp(t, { env: { ADMIN_API_KEY: undefined } })
  const refused = await closed.api.inject({ method: 'POST', url: '/v1/admin/clients', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'x' } })
  t.equal(refused.statusCode, 503)
  t.match(refused.json(), { status: 503, detail: /ADMIN_API_KEY/ })
})

t.test('client keys: issue another, revoke one, the revoked key is refused from then on', async t => {
  const app = await buildTestApp(t)
  const client = await app.createClient()
  const admin = { authorization: `Bearer ${ADMIN_KEY}` }
  const second = await app.api.inject({ method: 'POST', url: `/v1/admin/clients/${client.id}/api-keys`, headers: admin })
  t.equal(second.statusCode, 201)
  const { id: keyId, apiKey } = second.json()
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads', headers: { authorization: `Bearer ${apiKey}` } })).statusCode, 200)
  t.equal((await app.api.inject({ method: 'DELETE', url: `/v1/admin/clients/${client.id}/api-keys/${keyId}`, headers: admin })).statusCode, 204)
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads', headers: { authorization: `Bearer ${apiKey}` } })).statusCode, 401)
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads', headers: client.headers })).statusCode, 200, 'the first key still works')
  const other = await app.createClient('Other')
  t.equal((await app.api.inject({ method: 'DELETE', url: `/v1/admin/clients/${other.id}/api-keys/${keyId}`, headers: admin })).statusCode, 404, 'a key is revoked only through its own client')
  t.equal((await app.api.inject({ method: 'POST', url: '/v1/admin/clients/00000000-0000-4000-8000-000000000000/api-keys', headers: admin })).statusCode, 404)
  t.equal((await app.api.inject({ method: 'POST', url: '/v1/admin/clients/not-a-uuid/api-keys', headers: admin })).statusCode, 400)
})

t.test('client routes: 401 for a missing, malformed or unknown token, as problem+json', async t => {
  const app = await buildTestApp(t)
  for (const authorization of [undefined, 'Bearer', 'Bearer cs_unknown', 'Token abc']) {
    const response = await app.api.inject({ method: 'GET', url: '/v1/campaigns', headers: authorization !== undefined ? { authorization } : {} })
    t.equal(response.statusCode, 401, String(authorization))
    t.match(response.headers['content-type'], /application\/problem\+json/)
    t.equal(response.headers['www-authenticate'], 'Bearer')
  }
  t.equal((await app.api.inject({ method: 'GET', url: '/v1/leads', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).statusCode, 401, 'the admin token is not a client key')
})
