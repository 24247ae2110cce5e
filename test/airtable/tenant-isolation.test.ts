import { Writable } from 'node:stream'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { airtableEnv, configureAirtable, eventually, metricValue, randomBaseId, seedEnrollments, syncJobs } from '../helpers/airtable.js'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'
import { startAirtableStandIn } from '../stand-ins/airtable.js'

const KEY_A = 'patAliceSecretKey.0123456789abcdef'
const KEY_B = 'patBobSecretKey.fedcba9876543210'

/** Every log line the app writes, at trace level. */
function capturedLogs (): { lines: string[], stream: Writable } {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done() } })
  return { lines, stream }
}

t.test('two clients, two bases, two keys: each lead is written only in its own base with its own key; a shared record id never crosses', async t => {
  const [baseA, baseB] = [randomBaseId(), randomBaseId()]
  const standIn = await startAirtableStandIn({ apiKeys: [], bases: { [baseA]: KEY_A, [baseB]: KEY_B } })
  t.teardown(standIn.close)
  // Each base knows only its own records.
  standIn.isUnknownRecord = (id, base) => !id.startsWith(base === baseA ? 'recA' : 'recB')
  const logs = capturedLogs()
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', LOG_LEVEL: 'trace' }), logTo: logs.stream })
  const answers: string[] = []
  const call = async (options: InjectOptions) => {
    const response = await app.api.inject(options)
    answers.push(response.body)
    return response
  }
  const alice = await app.createClient('Alice')
  const bob = await app.createClient('Bob')
  const admin = { authorization: `Bearer ${ADMIN_KEY}` }
  t.equal((await call({ method: 'PUT', url: `/v1/admin/clients/${alice.id}/airtable`, headers: admin, payload: { apiKey: KEY_A, baseId: baseA, table: 'Leads' } })).statusCode, 200)
  t.equal((await call({ method: 'PUT', url: `/v1/admin/clients/${bob.id}/airtable`, headers: admin, payload: { apiKey: KEY_B, baseId: baseB, table: 'Contacts' } })).statusCode, 200)
  // The attack of issue 13: Alice imports a lead pointing at Bob's record.
  await seedLeads(app, alice.headers, [{ externalId: 'a1', tags: ['x'], airtableRecordId: 'recA1' }, { externalId: 'a2', tags: ['x'], airtableRecordId: 'recA2' }, { externalId: 'evil', tags: ['x'], airtableRecordId: 'recB1' }])
  await seedLeads(app, bob.headers, [{ externalId: 'b1', tags: ['x'], airtableRecordId: 'recB1' }, { externalId: 'b2', tags: ['x'], airtableRecordId: 'recB2' }])
  t.equal((await call({ method: 'POST', url: '/v1/campaigns', headers: bob.headers, payload: { name: 'Bob nurture', targeting: { tags: ['x'] }, messages: oneMessage } })).statusCode, 201)
  await standIn.waitFor(() => standIn.recordsByBase.get(baseB)?.size === 2, 30_000, 'Bob mirrored')
  t.equal((await call({ method: 'POST', url: '/v1/campaigns', headers: alice.headers, payload: { name: 'Alice attack', targeting: { tags: ['x'] }, messages: oneMessage } })).statusCode, 201)
  await eventually(async () => (await call({ method: 'GET', url: '/v1/sync/failures', headers: alice.headers })).json().data.length === 1, 'the forged record kept as failed')
  await eventually(async () => (await syncJobs(app)).length === 0, 'queue drained')

  t.same([...standIn.recordsByBase.get(baseA)?.keys() ?? []].sort(), ['recA1', 'recA2'], 'Alice\'s base holds Alice\'s records')
  t.match(standIn.recordsByBase.get(baseB)?.get('recB1'), { Campaign: 'Bob nurture' }, 'Bob\'s record untouched by Alice\'s campaign')
  t.ok(standIn.requests.filter(r => r.baseId === baseA).every(r => r.apiKey === KEY_A && r.table === 'Leads'), 'Alice: her base, her key, her table')
  t.ok(standIn.requests.filter(r => r.baseId === baseB).every(r => r.apiKey === KEY_B && r.table === 'Contacts'), 'Bob: his base, his key, his table')
  t.ok(standIn.requests.every(r => r.status !== 401 && r.status !== 403), 'no key was ever sent to the other base')
  const [failure] = (await call({ method: 'GET', url: '/v1/sync/failures', headers: alice.headers })).json().data
  t.match(failure.lastError, /Record recB1 does not exist/, 'Alice sees her own base refusing the forged id')
  t.same((await call({ method: 'GET', url: '/v1/sync/failures', headers: bob.headers })).json().data, [])

  // Neither key anywhere: answers, log lines, /metrics.
  answers.push((await app.internal.inject({ method: 'GET', url: '/metrics' })).body)
  await call({ method: 'GET', url: `/v1/admin/clients/${alice.id}/airtable`, headers: admin })
  t.ok(logs.lines.length > 20, `log lines captured (${logs.lines.length})`)
  for (const key of [KEY_A, KEY_B]) {
    t.notOk(answers.some(body => body.includes(key)), 'no answer carries a key')
    t.notOk(logs.lines.some(line => line.includes(key)), 'no log line carries a key')
  }
})

t.test('a refused key is a configuration failure (kept, not retried); new settings apply to waiting jobs and queue it again', async t => {
  const [baseA, baseB] = [randomBaseId(), randomBaseId()]
  const standIn = await startAirtableStandIn({ apiKeys: [], bases: { [baseA]: KEY_A, [baseB]: KEY_B } })
  t.teardown(standIn.close)
  const logs = capturedLogs()
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', LOG_LEVEL: 'trace' }), logTo: logs.stream })
  const client = await app.createClient()
  await configureAirtable(app, client.id, { apiKey: 'pat-wrong-key-0123456789', baseId: baseA })
  const seeded = await seedEnrollments(app, client.id, { leads: 12 })
  const list = async () => (await app.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: client.headers })).json<{ data: Array<{ attempts: number, lastError: string }> }>().data
  await eventually(async () => (await list()).length === 2, 'both batches kept')
  await eventually(async () => (await syncJobs(app)).length === 0, 'no job left to retry')
  t.equal(standIn.requests.length, 2, 'one request per batch, no retry')
  for (const failure of await list()) {
    t.equal(failure.attempts, 1)
    t.match(failure.lastError, /^configuration: the API key was refused \(Airtable answered 401 \(AUTHENTICATION_REQUIRED\).*PUT \/v1\/admin\/clients\/\{clientId\}\/airtable/)
    t.notOk(failure.lastError.includes('pat-wrong-key'))
  }
  // The operator fixes the key (and moves the base): the kept batches go again, to the new base.
  await configureAirtable(app, client.id, { apiKey: KEY_B, baseId: baseB })
  await standIn.waitFor(() => standIn.recordsByBase.get(baseB)?.size === 12, 30_000, 'synced with the new settings')
  t.same(await list(), [], 'no failure left')
  t.equal(seeded.leadIds.length, 12)
  t.notOk(logs.lines.some(line => line.includes('pat-wrong-key') || line.includes(KEY_B)), 'no key in the logs')
})

t.test('settings changed while jobs wait: the next attempt uses the new base, table and key', async t => {
  const [baseA, baseB] = [randomBaseId(), randomBaseId()]
  const standIn = await startAirtableStandIn({ apiKeys: [], bases: { [baseA]: KEY_A, [baseB]: KEY_B } })
  t.teardown(standIn.close)
  const env = airtableEnv(standIn)
  const app = await buildTestApp(t, { env }) // no worker yet: the jobs wait
  const client = await app.createClient()
  const other = await app.createClient()
  await configureAirtable(app, client.id, { apiKey: KEY_A, baseId: baseA })
  await configureAirtable(app, other.id, { apiKey: KEY_A, baseId: baseA })
  await seedEnrollments(app, client.id, { leads: 25 })
  await seedEnrollments(app, other.id, { leads: 5 })
  t.equal((await syncJobs(app)).length, 4)
  await configureAirtable(app, client.id, { apiKey: KEY_B, baseId: baseB, table: 'People' })
  await buildTestApp(t, { databaseUrl: app.databaseUrl, env: { ...env, WORKER_ENABLED: 'true' } })
  await standIn.waitFor(() => standIn.records.size === 30, 30_000, 'all synced')
  t.equal(standIn.recordsByBase.get(baseB)?.size, 25, 'the waiting jobs used the new settings')
  t.ok(standIn.requests.filter(r => r.baseId === baseB).every(r => r.table === 'People' && r.apiKey === KEY_B))
  t.equal(standIn.recordsByBase.get(baseA)?.size, 5, 'the other client kept its own')
})

t.test('settings deleted with jobs waiting: the client\'s jobs are dropped and counted, others stay; one left running is a no-op', async t => {
  const standIn = await startAirtableStandIn({ apiKeys: [KEY_A] })
  t.teardown(standIn.close)
  const env = airtableEnv(standIn)
  const app = await buildTestApp(t, { env }) // no worker: the jobs wait
  const client = await app.createClient()
  const other = await app.createClient()
  await configureAirtable(app, client.id, { apiKey: KEY_A })
  await configureAirtable(app, other.id, { apiKey: KEY_A })
  await seedEnrollments(app, client.id, { leads: 15 })
  await seedEnrollments(app, other.id, { leads: 3 })
  // A job held as if a worker were running it: DELETE cannot drop it, it must end as a no-op.
  const [held] = (await syncJobs(app)).filter(j => j.payload.clientId === client.id)
  await app.ctx.pool.query("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'elsewhere' where id = $1", [held?.id])
  t.equal((await app.api.inject({ method: 'DELETE', url: `/v1/admin/clients/${client.id}/airtable`, headers: { authorization: `Bearer ${ADMIN_KEY}` } })).statusCode, 204)
  const left = await syncJobs(app)
  t.same(left.map(j => j.payload.clientId).sort(), [client.id, other.id].sort(), 'the other client\'s job and the running one are left')
  t.equal(await metricValue(app, 'airtable_sync_jobs_dropped_total', '{reason="settings_deleted"}'), 1)
  t.equal((await seedEnrollments(app, client.id, { leads: 2, name: 'Third' })).queued, 0, 'nothing queued any more')

  await app.ctx.pool.query('update graphile_worker._private_jobs set locked_at = null, locked_by = null where id = $1', [held?.id])
  const worker = await buildTestApp(t, { databaseUrl: app.databaseUrl, env: { ...env, WORKER_ENABLED: 'true' } })
  await eventually(async () => (await syncJobs(app)).length === 0, 'queue drained')
  t.equal(await metricValue(worker, 'airtable_sync_jobs_dropped_total', '{reason="no_settings"}'), 1, 'the running one ended as a no-op')
  t.ok(standIn.requests.every(r => r.recordIds.every(id => !id.startsWith('rec') || standIn.records.has(id))))
  t.equal(standIn.records.size, 3, 'only the other client was written')
})
