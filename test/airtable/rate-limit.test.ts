import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { RATE_LIMIT_PAUSE_MS, createBaseRateLimiter } from '../../src/airtable/rate-limiter.js'
import { airtableEnv, airtableStandIn, eventually, metricValue, seedEnrollments, syncJobs, airtableClient } from '../helpers/airtable.js'
import { REDIS_URL, buildTestApp } from '../helpers/app.js'
import { maxRequestsInWindow } from '../stand-ins/airtable.js'
import { startPrivateRedis } from '../helpers/private-redis.js'

t.test('never more than 5 requests in any second to one base, however many jobs are ready', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', WORKER_CONCURRENCY: '10' }) })
  const client = await airtableClient(app)
  await seedEnrollments(app, client.id, { leads: 150 })
  await standIn.waitFor(() => standIn.records.size === 150, 60_000, 'all records')
  t.equal(standIn.requests.length, 15, 'ten workers had 15 requests ready at once')
  t.ok(standIn.requests.every(r => r.recordIds.length <= 10))
  const peak = maxRequestsInWindow(standIn.requests)
  t.ok(peak <= 5, `at most 5 requests in any 1-second window (saw ${peak})`)
  t.ok(standIn.requests.every(r => r.status === 200), 'no 429 needed')
})

t.test('two app instances share one rate for the base through Redis', async t => {
  const standIn = await airtableStandIn(t)
  const env = airtableEnv(standIn, { WORKER_ENABLED: 'true', WORKER_CONCURRENCY: '6' })
  const first = await buildTestApp(t, { env })
  const second = await buildTestApp(t, { databaseUrl: first.databaseUrl, env })
  const client = await airtableClient(first)
  await seedEnrollments(first, client.id, { leads: 150 })
  await standIn.waitFor(() => standIn.records.size === 150, 60_000, 'all records')
  const perInstance = [await metricValue(first, 'airtable_sync_batches_synced_total'), await metricValue(second, 'airtable_sync_batches_synced_total')]
  t.ok(perInstance.every(n => n > 0), `both instances sent requests (${perInstance.join(' + ')})`)
  const peak = maxRequestsInWindow(standIn.requests)
  t.ok(peak <= 5, `at most 5 requests in any 1-second window across both instances (saw ${peak})`)
  await eventually(async () => (await syncJobs(second)).length === 0, 'queue drained')
})

t.test('a 429 pauses the base for 30 s and queues the batch again at least 30 s later, with its attempts counted', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true', AIRTABLE_MAX_ATTEMPTS: '3' }) })
  const client = await airtableClient(app)
  standIn.mode = '429'
  await seedEnrollments(app, client.id, { leads: 5 })
  // The attempt ends and the batch is added again (graphile-worker's public add_job, same key).
  await eventually(async () => { const jobs = await syncJobs(app); return jobs.length === 1 && jobs[0]?.payload.priorAttempts === 1 }, 'the batch queued again')
  const [job] = await syncJobs(app)
  const answeredAt = standIn.requests[0]?.at ?? Infinity
  t.equal(standIn.requests.length, 1)
  t.match(job, { attempts: 0, max_attempts: 2, locked_at: null, key: new RegExp(`^airtable-sync:${client.id}:`) }, 'the attempts it has left, under its key')
  t.ok((job?.run_at.getTime() ?? 0) - answeredAt >= RATE_LIMIT_PAUSE_MS, 'run_at is at least 30 s after the 429')
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  t.ok(await redis.pttl(`airtable:pause:${client.baseId}`) > RATE_LIMIT_PAUSE_MS - 5000, 'every replica sees the base paused')
  t.equal(await metricValue(app, 'airtable_sync_retries_total', '{reason="rate_limited"}'), 1)
  t.equal(await metricValue(app, 'airtable_sync_queue_depth', '{state="delayed"}'), 1)

  // Still 429 on every later attempt: kept as failed after AIRTABLE_MAX_ATTEMPTS in all, not re-added forever.
  await app.ctx.pool.query('select graphile_worker.reschedule_jobs(array[$1::bigint], run_at => now())', [job?.id])
  await redis.del(`airtable:pause:${client.baseId}`)
  await eventually(async () => { const jobs = await syncJobs(app); return jobs[0]?.payload.priorAttempts === 2 }, 'the second 429', 60_000)
  await app.ctx.pool.query('select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = $1), run_at => now())', ['airtable_sync'])
  await redis.del(`airtable:pause:${client.baseId}`)
  const list = async () => (await app.api.inject({ method: 'GET', url: '/v1/sync/failures', headers: client.headers })).json<{ data: Array<{ attempts: number, lastError: string }> }>().data
  await eventually(async () => (await list()).length === 1, 'the batch kept as failed', 60_000)
  t.match(await list(), [{ attempts: 3, lastError: 'Airtable answered 429 (rate limited)' }])
  t.equal(standIn.requests.length, 3)
})

t.test('Redis unreachable: the in-process insurance still spaces requests', async t => {
  const dead = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true })
  dead.on('error', () => {})
  const limiter = await createBaseRateLimiter({ redis: dead, requestsPerSecond: 5 })
  const baseId = `appDead${randomBytes(4).toString('hex')}`
  t.teardown(limiter.close)
  const grants: Array<{ at: number }> = []
  await Promise.all(Array.from({ length: 8 }, async () => { await limiter.acquire(baseId); grants.push({ at: Date.now() }) }))
  t.equal(grants.length, 8, 'every caller got a slot')
  t.ok(maxRequestsInWindow(grants as never) <= 5, 'at most 5 per second')
})

t.test('Redis frozen (connected, never answering): grants and pauses go on in process', async t => {
  const redis = await startPrivateRedis(t)
  const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  t.teardown(() => { client.disconnect() })
  const limiter = await createBaseRateLimiter({ redis: client, requestsPerSecond: 5 })
  const baseId = `appFrozen${randomBytes(4).toString('hex')}`
  t.teardown(limiter.close)
  // Freeze only once the client is connected: a server frozen mid-handshake is another case.
  if (client.status !== 'ready') await new Promise(resolve => client.once('ready', resolve))
  redis.freeze()
  t.equal(client.status, 'ready', 'the connection still looks healthy')
  await limiter.pause(baseId, 10) // must not hang either
  const grants: Array<{ at: number }> = []
  await Promise.all(Array.from({ length: 6 }, async () => { await limiter.acquire(baseId); grants.push({ at: Date.now() }) }))
  t.equal(grants.length, 6, 'every caller got a slot without Redis')
  // In process the slots are 240 ms apart (5 per 1.2 s): 6 grants span about 1.2 s. Measured
  // after each grant resolves, so allow for a busy event loop, but not for no spacing at all.
  const span = Math.max(...grants.map(g => g.at)) - Math.min(...grants.map(g => g.at))
  t.ok(span >= 900, `still spaced: 6 grants over ${span} ms`)
  await redis.kill()
})

t.test('a slow database read between slot and send cannot bunch requests: the slot is taken after the read', async t => {
  const standIn = await airtableStandIn(t)
  const env = airtableEnv(standIn, { WORKER_CONCURRENCY: '10' })
  const seeder = await buildTestApp(t, { env: { ...env, WORKER_ENABLED: 'false' } })
  const client = await airtableClient(seeder)
  await seedEnrollments(seeder, client.id, { leads: 100 })
  // Every job's read waits on this lock while the worker starts; then all reads finish at once.
  const holder = await seeder.ctx.pool.connect()
  t.teardown(() => { holder.release() })
  await holder.query('begin')
  await holder.query('lock table leads in access exclusive mode')
  await buildTestApp(t, { databaseUrl: seeder.databaseUrl, env: { ...env, WORKER_ENABLED: 'true' } })
  // All ten jobs taken (none can get past its read), the first reads already waiting on the lock.
  const readsWaiting = async (): Promise<boolean> => (await syncJobs(seeder)).filter(job => job.locked_at !== null).length === 10 &&
    (await seeder.ctx.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n > 0
  await eventually(readsWaiting, 'the ten jobs to be taken and their reads to wait on the lock')
  await holder.query('rollback')
  await standIn.waitFor(() => standIn.records.size === 100, 60_000, 'all records')
  const peak = maxRequestsInWindow(standIn.requests)
  t.ok(peak <= 5, `at most 5 requests in any 1-second window (saw ${peak})`)
})
