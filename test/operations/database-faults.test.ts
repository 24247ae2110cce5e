import pg from 'pg'
import t from 'tap'
import { AIRTABLE_KEY, TEST_SECRETS_KEY, airtableStandIn, randomBaseId } from '../helpers/airtable.js'
import { ADMIN_KEY, REDIS_URL } from '../helpers/app.js'
import { faultProxy } from '../helpers/fault-proxy.js'
import { freshDatabase } from '../helpers/postgres.js'
import { call, startService, waitUntil, type Answer } from '../helpers/service-process.js'
import { oneMessage } from '../helpers/seed.js'

// A replica and a standalone worker behind a TCP proxy to PostgreSQL, with Airtable sync jobs in
// flight and 20 clients creating campaigns: the database is cut, then stalled. Neither process may
// die; every failed answer is a 503 problem+json saying when to retry; /readyz gives up on a
// stalled database by its own deadline; both recover; no campaign, enrollment or job is doubled or lost.

/** The last lines worth reading when the test failed (not the request log). */
const logTail = (output: string): string => output.split('\n').filter(l => !/"msg":"(incoming request|request completed|request rejected)"/.test(l)).slice(-40).join('\n')

const LOOPS = 20
const TENANTS = 4

t.test('a database cut and a stall: processes stay up, answer 503, recover, lose and double nothing', async t => {
  const databaseUrl = await freshDatabase(t)
  const proxy = await faultProxy(t, databaseUrl)
  // One Airtable stand-in per process, so each tells whose sync requests are in flight.
  const airtables = { server: await airtableStandIn(t), worker: await airtableStandIn(t) }
  for (const standIn of Object.values(airtables)) {
    standIn.mode = 'slow'
    standIn.slowMs = 5000
  }
  const env = {
    DATABASE_URL: proxy.url, REDIS_URL, ADMIN_API_KEY: ADMIN_KEY, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', LOG_LEVEL: 'info',
    SECRETS_KEY: TEST_SECRETS_KEY, AIRTABLE_TIMEOUT_MS: '10000',
    AIRTABLE_REQUESTS_PER_SECOND: '100', WORKER_CONCURRENCY: '4', WORKER_POLL_INTERVAL_MS: '200',
    DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_LOCK_TIMEOUT_MS: '1000', RATE_LIMIT_KEY_PREFIX: `test:faults:${process.pid}`
  }
  const server = startService(t, 'src/server.ts', { ...env, AIRTABLE_ENDPOINT_URL: airtables.server.url })
  await waitUntil(() => server.port('public') > 0, 'the server to listen', 120_000)
  const port = server.port('public')
  t.teardown(() => { if (!t.passing()) t.comment(`server log:\n${logTail(server.output())}`) })
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(async () => { await db.end() })
  const count = async (query: string): Promise<number> => Number((await db.query(query)).rows[0].n)

  // Tenants, each with 150 leads; the first also with 800 Airtable-linked leads whose campaign
  // queues 80 sync jobs, each held 5 s by Airtable.
  const tenants: Array<Record<string, string>> = []
  const tenantIds: string[] = []
  for (let i = 0; i < TENANTS; i++) {
    const created = await call(port, 'POST', '/v1/admin/clients', { authorization: `Bearer ${ADMIN_KEY}` }, { name: `Tenant ${i}` })
    const headers = { authorization: `Bearer ${JSON.parse(created.body).apiKey as string}` }
    tenants.push(headers)
    tenantIds.push(JSON.parse(created.body).id as string)
    const leads = Array.from({ length: 150 }, (_, n) => ({ externalId: `t${i}-${n}`, firstName: 'F', tags: ['traffic'] }))
    t.equal((await call(port, 'POST', '/v1/leads/bulk', headers, { leads })).status, 200)
  }
  const airtable = await call(port, 'PUT', `/v1/admin/clients/${tenantIds[0] ?? ''}/airtable`, { authorization: `Bearer ${ADMIN_KEY}` }, { apiKey: AIRTABLE_KEY, baseId: randomBaseId(), table: 'Leads' })
  t.equal(airtable.status, 200, airtable.body)
  const synced = Array.from({ length: 800 }, (_, n) => ({ externalId: `s-${n}`, firstName: 'S', tags: ['synced'], airtableRecordId: `recFault${String(n).padStart(6, '0')}` }))
  t.equal((await call(port, 'POST', '/v1/leads/bulk', tenants[0] ?? {}, { leads: synced })).status, 200)
  const syncCampaign = await call(port, 'POST', '/v1/campaigns', tenants[0] ?? {}, { name: 'Synced', messages: oneMessage, targeting: { tags: ['synced'] } })
  t.equal(syncCampaign.status, 201, syncCampaign.body)
  const inFlight = (standIn: typeof airtables.server): boolean => standIn.requests.some(r => r.at > Date.now() - standIn.slowMs + 1000)
  // The worker process starts once the server's jobs are in flight: 80 jobs of 5 s, 4 at a time,
  // leave it jobs to take however long it takes to start.
  await airtables.server.waitFor(() => inFlight(airtables.server), 30_000, 'sync jobs in flight in the server')
  const worker = startService(t, 'src/worker.ts', { ...env, AIRTABLE_ENDPOINT_URL: airtables.worker.url })
  t.teardown(() => { if (!t.passing()) t.comment(`worker log:\n${logTail(worker.output())}`) })

  // Traffic: each loop creates campaigns of one lead each under its own Idempotency-Keys,
  // retrying a key on 503 or 409 until it is answered with the campaign.
  const failures: Answer[] = []
  const created = new Map<string, Set<string>>()
  let trafficOn = true
  const loop = async (j: number): Promise<void> => {
    for (let i = 0; trafficOn; i++) {
      const key = `loop-${j}-${i}`
      for (;;) {
        const answer = await call(port, 'POST', '/v1/campaigns', { ...tenants[j % TENANTS], 'idempotency-key': key },
          { name: key, messages: oneMessage, targeting: { tags: ['traffic'] }, maxLeadsToEnroll: 1 })
        if (answer.status === 201) {
          created.set(key, (created.get(key) ?? new Set()).add(JSON.parse(answer.body).id as string))
          break
        }
        failures.push(answer)
        if (answer.status !== 503 && answer.status !== 409) return
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
  }
  const traffic = Promise.all(Array.from({ length: LOOPS }, async (_, j) => { await loop(j) }))
  const failuresOf = (status: number): number => failures.filter(f => f.status === status).length
  await waitUntil(() => created.size >= LOOPS, 'traffic to flow')
  await airtables.worker.waitFor(() => inFlight(airtables.worker) && inFlight(airtables.server), 60_000, 'sync jobs in flight in both processes')

  // The cut, while the sync jobs are in flight: their outcomes cannot be recorded.
  await proxy.cut()
  await waitUntil(() => failuresOf(503) >= 20, '503s during the cut')
  // Each process's job in flight fails to record its outcome, and its worker pool (its liveness
  // lock gone with the connection) ends and is restarted.
  for (const [name, service] of [['server', server], ['worker', worker]] as const) {
    await waitUntil(() => /Failed to (fail|complete) jobs/.test(service.output()) || service.child.exitCode !== null, `${name}: a job's outcome to fail`)
    await waitUntil(() => /job worker stopped( on its own)?; restarting it/.test(service.output()) || service.child.exitCode !== null, `${name}: its worker pool to end`)
    t.equal(service.child.exitCode, null, `${name} survives the cut`)
  }
  await proxy.restore()
  const cutEnded = Date.now()
  await waitUntil(async () => (await call(port, 'GET', '/readyz')).status === 200, 'ready again after the cut', 15_000)
  t.comment(`ready ${Date.now() - cutEnded} ms after the cut ended`)

  // The stall: connections stay open, nothing answers.
  const before503 = failuresOf(503)
  proxy.stall()
  const stalledAt = Date.now()
  const ready = await call(port, 'GET', '/readyz')
  t.comment(`/readyz answered ${ready.status} ${Date.now() - stalledAt} ms into the stall`)
  t.equal(ready.status, 503, 'not ready while stalled')
  t.match(ready.headers['content-type'], /application\/problem\+json/)
  // Not a connection or query timeout (5 s, 3 s here): /readyz's own deadline.
  await waitUntil(() => server.lines().some(l => l.msg === 'readiness check failed' && /did not answer within 1500 ms/.test(JSON.stringify(l.err))), '/readyz to log that it gave up by its own deadline', 10_000)
  await waitUntil(() => failuresOf(503) >= before503 + 20, '503s during the stall')
  await proxy.restore()
  const stallEnded = Date.now()
  await waitUntil(async () => (await call(port, 'GET', '/readyz')).status === 200, 'ready again after the stall', 15_000)
  t.comment(`ready ${Date.now() - stallEnded} ms after the stall ended`)
  const keysBefore = created.size
  await waitUntil(() => created.size >= keysBefore + LOOPS, 'campaigns to be created again')
  trafficOn = false
  await traffic

  t.equal(server.child.exitCode, null, 'the server is still up')
  t.equal(worker.child.exitCode, null, 'the worker is still up')
  t.same(failures.filter(f => f.status !== 503 && f.status !== 409).map(f => `${f.status} ${f.body}`), [], 'every failure is a 503 or a 409')
  t.ok(failures.every(f => /application\/problem\+json/.test(String(f.headers['content-type'])) && f.headers['retry-after'] !== undefined), 'as problem+json with Retry-After')
  t.ok(failures.some(f => f.status === 503 && /:database-unavailable$/.test(JSON.parse(f.body).type as string)), 'the 503s say the database is unavailable')
  t.comment(`${created.size} keys, ${failuresOf(503)} 503s, ${failuresOf(409)} 409s`)

  // Nothing doubled: one campaign per key, counters equal to rows, one active enrollment per lead.
  t.same([...created].filter(([, ids]) => ids.size > 1), [], 'every key was answered with one campaign')
  t.equal(await count("select count(*) as n from campaigns where name like 'loop-%'"), created.size, 'one campaign per Idempotency-Key')
  t.equal(await count(`select count(*) as n from campaigns c where leads_enrolled <> (select count(*) from enrollments e where e.campaign_id = c.id)`), 0, 'leads_enrolled = enrollments')
  t.equal(await count("select count(*) as n from (select lead_id from enrollments where status = 'active' group by lead_id having count(*) > 1) d"), 0, 'one active enrollment per lead')
  // Nothing lost: every sync job ran to the end, none left locked by a worker that stopped.
  for (const standIn of Object.values(airtables)) standIn.mode = 'ok'
  await waitUntil(async () => await count('select count(*) as n from graphile_worker._private_jobs') === 0, 'the sync jobs to finish', 60_000, 200)
  t.equal(new Set([...airtables.server.records.keys(), ...airtables.worker.records.keys()]).size, 800, 'every Airtable-linked lead was mirrored')

  for (const service of [server, worker]) {
    service.child.kill('SIGTERM')
    t.equal(await service.exited, 0, 'clean exit')
  }
})
