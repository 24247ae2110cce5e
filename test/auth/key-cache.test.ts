import net from 'node:net'
import { once } from 'node:events'
import { pino } from 'pino'
import t from 'tap'
import { ApiKeyCache } from '../../src/auth/key-cache.js'
import { hashToken } from '../../src/auth/secrets.js'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'
import { freePort } from '../helpers/private-redis.js'

const admin = { authorization: `Bearer ${ADMIN_KEY}` }
const hashOf = (apiKey: string) => hashToken(apiKey).toString('hex')
const get = async (app: TestApp, apiKey: string) => (await app.api.inject({ method: 'GET', url: '/v1/leads', headers: { authorization: `Bearer ${apiKey}` } })).statusCode
const issueKey = async (app: TestApp, clientId: string) =>
  (await app.api.inject({ method: 'POST', url: `/v1/admin/clients/${clientId}/api-keys`, headers: admin })).json<{ id: string, apiKey: string }>()
const revoke = async (app: TestApp, clientId: string, keyId: string) =>
  (await app.api.inject({ method: 'DELETE', url: `/v1/admin/clients/${clientId}/api-keys/${keyId}`, headers: admin })).statusCode

t.test('the replica that revokes a key refuses it as soon as the DELETE answered', async t => {
  const app = await buildTestApp(t)
  await app.ctx.apiKeys.whenListening()
  const client = await app.createClient()
  const key = await issueKey(app, client.id)
  t.equal(await get(app, key.apiKey), 200)
  t.equal(app.ctx.apiKeys.get(hashOf(key.apiKey)), client.id, 'the key is served from the cache now')
  t.equal(await revoke(app, client.id, key.id), 204)
  t.equal(app.ctx.apiKeys.get(hashOf(key.apiKey)), undefined, 'evicted before the answer')
  t.equal(await get(app, key.apiKey), 401)
  t.equal(await get(app, client.apiKey), 200, 'the other key of the client still works')
})

t.test('a lookup that overlapped an eviction does not put the key back', async t => {
  const cache = new ApiKeyCache({ databaseUrl: await freshDatabase(t), logger: pino({ level: 'silent' }) })
  t.teardown(() => cache.stop())
  cache.start()
  await cache.whenListening()
  const mark = cache.mark() // a request starts reading the key from the database...
  cache.evict('ab') // ...the key is revoked meanwhile...
  cache.set('ab', 'client', mark) // ...and the read (from before the revocation) comes back
  t.equal(cache.get('ab'), undefined)
  cache.set('ab', 'client', cache.mark())
  t.equal(cache.get('ab'), 'client', 'a lookup with no eviction in between is kept')
})

t.test('another replica sharing the database drops a key revoked elsewhere (API or SQL)', async t => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl })
  await Promise.all([a.ctx.apiKeys.whenListening(), b.ctx.apiKeys.whenListening()])
  const client = await a.createClient()
  const [viaApi, viaSql] = [await issueKey(a, client.id), await issueKey(a, client.id)]
  t.equal(await get(b, viaApi.apiKey), 200)
  t.equal(await get(b, viaSql.apiKey), 200)
  t.equal(b.ctx.apiKeys.size, 2, 'both keys cached on b')

  t.equal(await revoke(a, client.id, viaApi.id), 204)
  await a.ctx.pool.query('update api_keys set revoked_at = now() where id = $1', [viaSql.id])
  // One ping on b's listening connection: every change committed before it has been applied.
  t.ok(await b.ctx.apiKeys.sync())
  t.equal(await get(b, viaApi.apiKey), 401, 'revoked through the API on a')
  t.equal(await get(b, viaSql.apiKey), 401, 'revoked by hand in SQL')
  t.equal(await get(b, client.apiKey), 200)
})

t.test('losing the listening connection: the cache stops vouching, keys are read from the database, then it listens again', async t => {
  const a = await buildTestApp(t)
  const b = await buildTestApp(t, { databaseUrl: a.databaseUrl })
  await b.ctx.apiKeys.whenListening()
  const client = await a.createClient()
  t.equal(await get(b, client.apiKey), 200)
  t.equal(b.ctx.apiKeys.get(hashOf(client.apiKey)), client.id)

  const fallback = once(b.ctx.apiKeys, 'state')
  await a.ctx.pool.query('select pg_terminate_backend($1)', [b.ctx.apiKeys.listenerPid])
  t.same(await fallback, ['fallback'])
  t.equal(b.ctx.apiKeys.get(hashOf(client.apiKey)), undefined, 'nothing is served from the cache')
  // A revocation b cannot hear now still takes effect on b at once.
  await a.ctx.pool.query('update api_keys set revoked_at = now() where client_id = $1', [client.id])
  t.equal(await get(b, client.apiKey), 401)

  await b.ctx.apiKeys.whenListening()
  const again = await issueKey(a, client.id)
  t.equal(await get(b, again.apiKey), 200)
  t.equal(b.ctx.apiKeys.get(hashOf(again.apiKey)), client.id, 'cached again once listening')
})

t.test('a listening connection that stops answering: the cache stops vouching on its own', async t => {
  // A proxy in front of the database that can freeze: no error, no close, just silence.
  const url = new URL(await freshDatabase(t))
  const target = { host: url.hostname, port: Number(url.port || 5432) }
  const sockets: net.Socket[] = []
  const proxy = net.createServer(socket => {
    const upstream = net.connect(target)
    sockets.push(socket, upstream)
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  const port = await freePort()
  await new Promise<void>(resolve => proxy.listen(port, '127.0.0.1', resolve))
  url.hostname = '127.0.0.1'
  url.port = String(port)
  const cache = new ApiKeyCache({ databaseUrl: url.toString(), logger: pino({ level: 'silent' }) })
  t.teardown(async () => { for (const socket of sockets) socket.destroy(); proxy.close(); await cache.stop() })
  cache.start()
  await cache.whenListening()
  cache.set('cd', 'client', cache.mark())
  t.equal(cache.get('cd'), 'client')
  for (const socket of sockets) socket.pause()
  // Wait on the state: the unanswered ping leaves the cache's warrant to run out.
  while (cache.get('cd') !== undefined) await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(cache.state, 'listening', 'the connection is not known to be lost; the cache just does not vouch')
})
