import { sql } from 'kysely'
import t from 'tap'
import { reencryptAirtableKeys } from '../../src/airtable/settings-service.js'
import { createSecretBox, keyIdOf } from '../../src/secrets/secret-box.js'
import { AIRTABLE_KEY, TEST_SECRETS_KEY, airtableEnv, airtableStandIn, configureAirtable, randomBaseId, seedEnrollments } from '../helpers/airtable.js'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.js'

const admin = { authorization: `Bearer ${ADMIN_KEY}` }

t.test('PUT, GET and DELETE a client\'s Airtable settings; the key is stored encrypted and never returned', async t => {
  const app = await buildTestApp(t, { env: { SECRETS_KEY: TEST_SECRETS_KEY } })
  const client = await app.createClient()
  const url = `/v1/admin/clients/${client.id}/airtable`
  t.equal((await app.api.inject({ method: 'GET', url, headers: admin })).statusCode, 404, 'not set yet')
  const baseId = randomBaseId()
  const put = await app.api.inject({ method: 'PUT', url, headers: admin, payload: { apiKey: AIRTABLE_KEY, baseId, table: 'Leads' } })
  t.equal(put.statusCode, 200)
  t.match(put.json(), { baseId, table: 'Leads', updatedAt: /^\d{4}-/ })
  t.same(Object.keys(put.json()).sort(), ['baseId', 'table', 'updatedAt'])
  const get = await app.api.inject({ method: 'GET', url, headers: admin })
  t.same(get.json(), put.json())
  t.notOk(put.body.includes(AIRTABLE_KEY) || get.body.includes(AIRTABLE_KEY))

  const { rows: [row] } = await sql<{ api_key_ciphertext: Buffer, key_id: string }>`select api_key_ciphertext, key_id from client_airtable_settings`.execute(app.ctx.db)
  t.equal(row?.key_id, keyIdOf(Buffer.from(TEST_SECRETS_KEY, 'base64')))
  t.notOk(row?.api_key_ciphertext.includes(Buffer.from(AIRTABLE_KEY)), 'no plaintext at rest')
  t.equal(row?.api_key_ciphertext.length, 12 + 16 + AIRTABLE_KEY.length, 'iv | tag | ciphertext')

  t.equal((await app.api.inject({ method: 'PUT', url, headers: admin, payload: { apiKey: 'pat-new', baseId, table: 'Contacts' } })).json().table, 'Contacts', 'replaced')
  t.equal((await app.api.inject({ method: 'DELETE', url, headers: admin })).statusCode, 204)
  t.equal((await app.api.inject({ method: 'GET', url, headers: admin })).statusCode, 404)
  t.equal((await app.api.inject({ method: 'DELETE', url, headers: admin })).statusCode, 404)
})

t.test('validation names the field; unknown client 404; admin token required', async t => {
  const app = await buildTestApp(t, { env: { SECRETS_KEY: TEST_SECRETS_KEY } })
  const client = await app.createClient()
  const url = `/v1/admin/clients/${client.id}/airtable`
  const good = { apiKey: AIRTABLE_KEY, baseId: randomBaseId(), table: 'Leads' }
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...good, baseId: 'app123' }, 'baseId'],
    [{ ...good, baseId: 'tbl' + 'a'.repeat(14) }, 'baseId'],
    [{ ...good, baseId: 'app' + 'a'.repeat(13) + '-' }, 'baseId'],
    [{ ...good, table: '' }, 'table'],
    [{ ...good, table: 'x'.repeat(101) }, 'table'],
    [{ ...good, apiKey: '' }, 'apiKey'],
    [{ ...good, apiKey: 'k'.repeat(501) }, 'apiKey'],
    [{ baseId: good.baseId, table: 'Leads' }, 'apiKey'],
    [{ ...good, extra: 1 }, 'extra']
  ]
  for (const [payload, field] of cases) {
    const response = await app.api.inject({ method: 'PUT', url, headers: admin, payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload).slice(0, 80))
    t.ok(response.json().errors.some((e: { path: string }) => e.path === field), `names ${field}`)
    t.notOk(response.body.includes('k'.repeat(501)), 'the key is not echoed')
  }
  t.equal((await app.api.inject({ method: 'PUT', url, headers: admin, payload: { ...good, table: 'x'.repeat(100) } })).statusCode, 200, '100 characters is fine')
  const unknown = '/v1/admin/clients/00000000-0000-4000-8000-000000000000/airtable'
  for (const method of ['PUT', 'GET', 'DELETE'] as const) {
    const response = await app.api.inject({ method, url: unknown, headers: admin, ...(method === 'PUT' ? { payload: good } : {}) })
    t.equal(response.statusCode, 404, method)
    t.match(response.json().detail, /client not found/)
  }
  t.equal((await app.api.inject({ method: 'PUT', url, payload: good })).statusCode, 401)
  t.equal((await app.api.inject({ method: 'GET', url, headers: client.headers })).statusCode, 401, 'a client key is not an admin key')
})

t.test('DATABASE_URL set and no SECRETS_KEY: the service starts, storing a key answers 503', async t => {
  const app = await buildTestApp(t)
  const client = await app.createClient()
  const response = await app.api.inject({ method: 'PUT', url: `/v1/admin/clients/${client.id}/airtable`, headers: admin, payload: { apiKey: AIRTABLE_KEY, baseId: randomBaseId(), table: 'Leads' } })
  t.equal(response.statusCode, 503)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.match(response.json().detail, /SECRETS_KEY is not set/)
  t.equal((await sql<{ n: number }>`select count(*)::int as n from client_airtable_settings`.execute(app.ctx.db)).rows[0]?.n, 0)
  t.equal((await app.api.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

t.test('rotation: old ciphertexts still read under SECRETS_KEY_PREVIOUS; re-encryption moves them to the new key', async t => {
  const standIn = await airtableStandIn(t, [AIRTABLE_KEY, 'pat-other'])
  const oldApp = await buildTestApp(t, { env: airtableEnv(standIn) })
  const alice = await oldApp.createClient('Alice')
  const bob = await oldApp.createClient('Bob')
  await configureAirtable(oldApp, alice.id)
  await configureAirtable(oldApp, bob.id, { apiKey: 'pat-other' })
  const newKey = Buffer.alloc(32, 9).toString('base64')
  // Mid-rotation: replicas restarted with the new key and the old one as previous.
  const rotating = await buildTestApp(t, { databaseUrl: oldApp.databaseUrl, env: airtableEnv(standIn, { SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: TEST_SECRETS_KEY, WORKER_ENABLED: 'true' }) })
  const seeded = await seedEnrollments(rotating, alice.id, { leads: 3 })
  await standIn.waitFor(() => standIn.records.size === 3, 30_000, 'a sync with the old ciphertext')
  t.ok(standIn.requests.every(r => r.apiKey === AIRTABLE_KEY && r.status === 200))
  t.equal(seeded.queued, 1)

  const secrets = rotating.ctx.secrets
  if (secrets === undefined) throw new Error('no secrets')
  t.equal(await reencryptAirtableKeys(rotating.ctx.db, secrets), 2)
  t.equal(await reencryptAirtableKeys(rotating.ctx.db, secrets), 0, 'nothing left under the old key')
  const { rows } = await sql<{ key_id: string }>`select key_id from client_airtable_settings`.execute(rotating.ctx.db)
  t.same(rows.map(r => r.key_id), [secrets.currentKeyId, secrets.currentKeyId])

  // After the rotation the old key can go: the new one alone reads every row.
  const after = createSecretBox(newKey)
  const { rows: stored } = await sql<{ client_id: string, api_key_ciphertext: Buffer, key_id: string }>`select * from client_airtable_settings order by client_id`.execute(rotating.ctx.db)
  const opened = stored.map(r => after.open({ keyId: r.key_id, ciphertext: r.api_key_ciphertext }, `client-airtable:${r.client_id}`))
  t.same(new Set(opened), new Set([AIRTABLE_KEY, 'pat-other']))
  t.throws(() => createSecretBox(TEST_SECRETS_KEY).open({ keyId: stored[0]?.key_id ?? '', ciphertext: stored[0]?.api_key_ciphertext ?? Buffer.alloc(0) }, 'x'), /neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS/)
})

t.test('a ciphertext copied into another client\'s row does not decrypt (bound to its client)', async t => {
  const box = createSecretBox(TEST_SECRETS_KEY)
  const sealed = box.seal(AIRTABLE_KEY, 'client-airtable:a')
  t.equal(box.open(sealed, 'client-airtable:a'), AIRTABLE_KEY)
  t.throws(() => box.open(sealed, 'client-airtable:b'), /does not decrypt/)
  t.notOk(String((() => { try { box.open(sealed, 'client-airtable:b') } catch (e) { return (e as Error).message } })()).includes(AIRTABLE_KEY))
})
