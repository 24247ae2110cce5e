import pg from 'pg'
import t from 'tap'
import { airtableClient, airtableEnv, airtableStandIn, seedEnrollments } from '../helpers/airtable.js'
import { REDIS_URL, buildTestApp } from '../helpers/app.js'
import { faultProxy } from '../helpers/fault-proxy.js'
import { freshDatabase } from '../helpers/postgres.js'
import { startService, waitUntil } from '../helpers/service-process.js'

// Two ways graphile-worker 0.17 leaves a worker pool alive but useless (src/jobs/pool-watchdog.ts):
// the standalone worker must come back from both and run the jobs.

const workerEnv = (databaseUrl: string, env: Record<string, string>): Record<string, string> => ({
  ...env, DATABASE_URL: databaseUrl, REDIS_URL, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', LOG_LEVEL: 'info'
})
const count = (text: string, part: string): number => text.split(part).length - 1

t.test('outcomes of four jobs fail one after the other with the database gone: the pool still ends, restarts and reruns them', async t => {
  const databaseUrl = await freshDatabase(t)
  const proxy = await faultProxy(t, databaseUrl)
  const standIn = await airtableStandIn(t)
  standIn.mode = 'held'
  const app = await buildTestApp(t, { databaseUrl, env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  const seeded = await seedEnrollments(app, client.id, { leads: 40 })
  t.equal(seeded.queued, 4)
  const worker = startService(t, 'src/worker.ts', workerEnv(proxy.url, { ...airtableEnv(standIn), WORKER_CONCURRENCY: '4', DATABASE_STATEMENT_TIMEOUT_MS: '1000', AIRTABLE_TIMEOUT_MS: '120000' }))
  t.teardown(() => { if (!t.passing()) t.comment(worker.output().split('\n').slice(-40).join('\n')) })
  await waitUntil(() => standIn.heldCount() === 4, 'the four jobs to be in flight', 60_000)

  await proxy.cut()
  // The outcomes fail one after the other, each in a batch of its own: once three have failed,
  // graphile-worker's count of the batches in flight is wrong for good.
  for (let failed = 1; failed <= 4; failed++) {
    t.ok(standIn.answerHeld())
    await waitUntil(() => count(worker.output(), 'Failed to fail jobs') === failed, `outcome ${failed} to fail`)
  }
  await waitUntil(() => /job worker stopped( on its own)?; restarting it/.test(worker.output()), 'the worker pool to end')
  t.equal(worker.child.exitCode, null, 'the worker survives')

  standIn.mode = 'ok'
  await proxy.restore()
  // Airtable has the records, but the outcomes were never recorded: the jobs are run again.
  const jobsLeft = async (): Promise<number> => (await app.ctx.pool.query('select count(*)::int as n from graphile_worker.jobs')).rows[0].n
  await waitUntil(async () => await jobsLeft() === 0, 'the jobs to run again once the database is back', 60_000)
  t.equal(standIn.requests.length, 8, 'each job ran once more')
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'clean exit')
})

t.test('the first lookup of the task ids fails: the worker starts a new pool instead of failing every fetch forever', async t => {
  const databaseUrl = await freshDatabase(t)
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { databaseUrl, env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  // The lookup writes graphile-worker's task table: held locked, it fails by lock_timeout.
  const blocker = new pg.Client({ connectionString: databaseUrl })
  await blocker.connect()
  t.teardown(async () => { await blocker.end() })
  await blocker.query('begin')
  await blocker.query('lock table graphile_worker._private_tasks in access exclusive mode')
  const waiting = async (): Promise<boolean> => (await blocker.query(`select count(*)::int as n from pg_locks where relation = 'graphile_worker._private_tasks'::regclass and not granted`)).rows[0].n > 0
  const worker = startService(t, 'src/worker.ts', workerEnv(databaseUrl, { ...airtableEnv(standIn), DATABASE_LOCK_TIMEOUT_MS: '300' }))
  t.teardown(() => { if (!t.passing()) t.comment(worker.output().split('\n').slice(-40).join('\n')) })
  await waitUntil(waiting, 'the lookup to wait for the lock', 60_000)
  await waitUntil(async () => !await waiting(), 'the lookup to give up')
  await blocker.query('commit')

  await seedEnrollments(app, client.id, { leads: 10 })
  await waitUntil(() => standIn.records.size === 10, 'the job to run', 60_000)
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'clean exit')
})
