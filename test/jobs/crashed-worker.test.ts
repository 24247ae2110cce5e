import t from 'tap'
import { airtableClient, airtableEnv, airtableStandIn, seedEnrollments } from '../helpers/airtable.js'
import { REDIS_URL, buildTestApp } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'
import { startService, waitUntil } from '../helpers/service-process.js'

// A worker process killed with its job in flight leaves that job locked (graphile-worker frees
// such jobs after 4 h). Every worker pool holds a liveness lock; a worker that starts frees the
// jobs of pools whose lock is gone, and never those of a pool that is alive.

t.test('the job of a SIGKILLed worker runs again as soon as another worker starts; a live worker keeps its job', async t => {
  const databaseUrl = await freshDatabase(t)
  // One stand-in per process, so each tells whose requests it got.
  const first = await airtableStandIn(t)
  const second = await airtableStandIn(t)
  first.mode = 'held'
  const app = await buildTestApp(t, { databaseUrl, env: airtableEnv(first) })
  const client = await airtableClient(app)
  const env = (standIn: typeof first): Record<string, string> => ({
    ...airtableEnv(standIn), DATABASE_URL: databaseUrl, REDIS_URL, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', LOG_LEVEL: 'info', WORKER_CONCURRENCY: '1', AIRTABLE_TIMEOUT_MS: '120000'
  })
  const query = async (text: string): Promise<Array<Record<string, unknown>>> => (await app.ctx.pool.query(text)).rows
  const lockedBy = async (): Promise<unknown[]> => (await query('select locked_by from graphile_worker.jobs')).map(row => row.locked_by)

  const victim = startService(t, 'src/worker.ts', env(first))
  t.teardown(() => { if (!t.passing()) t.comment(`victim:\n${victim.output()}`) })
  await seedEnrollments(app, client.id, { leads: 10 })
  await waitUntil(() => first.heldCount() === 1, 'the job to be in flight', 60_000)
  const [owner] = await lockedBy()
  t.match(owner, /^pool-[0-9a-f]+$/, 'graphile-worker locks a job with its worker pool id')

  // A second worker starts (and sweeps) while the first runs the job: the job stays the first's.
  const bystander = startService(t, 'src/worker.ts', env(second))
  t.teardown(() => { if (!t.passing()) t.comment(`bystander:\n${bystander.output()}`) })
  await waitUntil(() => bystander.output().includes('job worker started'), 'the second worker to start', 60_000)
  t.same(await lockedBy(), [owner], 'a live worker keeps its job')
  t.equal(second.requests.length, 0, 'and nobody else runs it')

  victim.child.kill('SIGKILL')
  await victim.exited
  // PostgreSQL has seen the killed process's sessions end (its liveness lock with them).
  await waitUntil(async () => (await query("select count(*)::int as n from pg_stat_activity where application_name = 'campaign-service-worker-liveness' and datname = current_database()"))[0]?.n === 1, 'the killed worker\'s sessions to end')
  const third = startService(t, 'src/worker.ts', env(second))
  await waitUntil(async () => (await lockedBy()).length === 0, 'the job to run again and complete', 30_000)
  t.equal(second.records.size, 10, 'the job ran in a live worker')
  t.match(third.output() + bystander.output(), /unlocked the jobs of worker pools that are gone/)

  bystander.child.kill('SIGTERM')
  t.equal(await bystander.exited, 0, 'clean exit')
})
