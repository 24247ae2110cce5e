// Enrollment benchmark: the service's POST /v1/campaigns against a bare INSERT ... SELECT of the
// same rows. `npm run bench:enroll -- --leads 1000000 [--chunk 25000] [--tag vip] [--bare-fks] [--explain] [--keep]`
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { buildApps } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createContext } from '../src/context.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { createBenchDatabase, seedLeads } from './bench-database.js'
import { explainPlans } from './explain-plans.js'

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '1000000' },
    chunk: { type: 'string' },
    tag: { type: 'string' },
    'bare-fks': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false }
  }
})
const leadCount = Number(args.leads)
if (!Number.isInteger(leadCount) || leadCount < 1) throw new Error('--leads must be a positive integer')

const ADMIN = 'bench-admin-key-0123456789'
const MESSAGES = [{ body: 'Hi {{first_name}}!', delayMinutes: 0 }, { body: 'Still there?', delayMinutes: 1440 }]
const targeting = args.tag !== undefined ? { tags: [args.tag] } : {}
const seconds = (ms: number): string => (ms / 1000).toFixed(2) + ' s'
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0) + ' MB'

const database = await createBenchDatabase()
process.on('SIGINT', () => { void database.drop().finally(() => process.exit(130)) })
try {
  const config = loadConfig({
    DATABASE_URL: database.url,
    ADMIN_API_KEY: ADMIN,
    LOG_LEVEL: 'warn',
    WORKER_ENABLED: 'false',
    // A budget far beyond the run, so the service finishes the whole audience in one request;
    // the seeding and the bare insert share the pool, and a million rows outlast its 10 s deadline.
    ENROLLMENT_TIME_BUDGET_MS: '3600000',
    DATABASE_STATEMENT_TIMEOUT_MS: '3600000',
    ...(args.chunk !== undefined ? { ENROLLMENT_CHUNK_SIZE: args.chunk } : {})
  })
  const ctx = createContext(config, pino({ level: config.LOG_LEVEL }), database.url)
  await migrateToLatest(ctx.db, database.url)
  const { api, internal } = await buildApps(ctx)
  const created = await api.inject({ method: 'POST', url: '/v1/admin/clients', headers: { authorization: `Bearer ${ADMIN}` }, payload: { name: 'Bench' } })
  const client = created.json<{ id: string, apiKey: string }>()
  const headers = { authorization: `Bearer ${client.apiKey}` }

  let started = Date.now()
  await seedLeads(ctx.pool, client.id, leadCount)
  console.log(`seeded ${leadCount} leads (set-based insert + vacuum analyze) in ${seconds(Date.now() - started)}`)
  await ctx.pool.query('checkpoint')

  if (args.explain) {
    await explainPlans({ databaseUrl: database.url, config, headers, targeting })
  } else {
    // Bare: the same rows into a table with the same columns, defaults, checks and indexes.
    // LIKE ... INCLUDING ALL copies no foreign keys; --bare-fks adds the two that enrollments has.
    // Its autovacuum is off so the vacuum its million inserts trigger does not run during the
    // service's timing (the service's own table is vacuumed as in production).
    await ctx.pool.query('create table bare_enrollments (like enrollments including all) with (autovacuum_enabled = false)')
    if (args['bare-fks']) {
      await ctx.pool.query(`alter table bare_enrollments add foreign key (campaign_id) references campaigns (id) on delete cascade,
        add foreign key (lead_id) references leads (id) on delete cascade`)
    }
    const campaign = await ctx.pool.query<{ id: string }>(`insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes)
      values ($1, 'bare', 'completed', '{}', '[]', 1440) returning id`, [client.id])
    started = Date.now()
    const bare = await ctx.pool.query(`
      insert into bare_enrollments (campaign_id, lead_id, client_id, enrolled_at, completes_at, next_step, next_due_at)
      select $1, l.id, l.client_id, now(), now() + make_interval(mins => 1440), 0, now() from leads l
      where l.client_id = $2 and not l.opted_out ${args.tag !== undefined ? 'and l.tags && array[$3]::text[]' : ''}`,
    [campaign.rows[0]?.id, client.id, ...(args.tag !== undefined ? [args.tag] : [])])
    const bareMs = Date.now() - started
    await ctx.pool.query('checkpoint')

    // The service: one HTTP request through the whole stack, RSS sampled while it runs.
    let peakRss = process.memoryUsage().rss
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)
    started = Date.now()
    const response = await api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 'Everyone', targeting, messages: MESSAGES } })
    const serviceMs = Date.now() - started
    clearInterval(sampler)
    if (response.statusCode !== 201) throw new Error(`POST /v1/campaigns answered ${response.statusCode}: ${response.body}`)
    const body = response.json<{ id: string, leadsEnrolled: number, enrollment: { totalMatching: number, enrolled: number }, warning?: unknown }>()
    const check = await ctx.pool.query<{ n: number }>('select count(*)::int as n from enrollments where campaign_id = $1', [body.id])

    const shape = async (table: string): Promise<string> => {
      const { rows } = await ctx.pool.query<{ indexes: number, fks: number }>(`select
        (select count(*)::int from pg_index where indrelid = $1::regclass) as indexes,
        (select count(*)::int from pg_constraint where conrelid = $1::regclass and contype = 'f') as fks`, [table])
      return `${rows[0]?.indexes} indexes, ${rows[0]?.fks} FKs`
    }
    console.log(`\nleads: ${leadCount}, targeting: ${JSON.stringify(targeting)}, chunk size: ${config.ENROLLMENT_CHUNK_SIZE}`)
    console.log(`tables: enrollments ${await shape('enrollments')}; bare_enrollments ${await shape('bare_enrollments')}`)
    console.log(`bare INSERT ... SELECT (${bare.rowCount} rows): ${seconds(bareMs)}`)
    console.log(`service POST /v1/campaigns (${body.enrollment.enrolled} enrolled of ${body.enrollment.totalMatching}): ${seconds(serviceMs)}`)
    console.log(`ratio service / bare: ${(serviceMs / bareMs).toFixed(2)}`)
    console.log(`peak RSS of this process (bench + service in one process) during the request: ${mb(peakRss)}; lifetime maxRSS: ${mb(process.resourceUsage().maxRSS * 1024)}`)
    const consistent = check.rows[0]?.n === body.enrollment.enrolled && body.leadsEnrolled === body.enrollment.enrolled && body.enrollment.enrolled === bare.rowCount
    console.log(`consistency: enrollments ${check.rows[0]?.n}, leadsEnrolled ${body.leadsEnrolled}, bare rows ${bare.rowCount}: ${consistent ? 'ok' : 'MISMATCH'}`)
    if (!consistent) process.exitCode = 1
  }
  await Promise.all([api.close(), internal.close()])
  await ctx.close()
} finally {
  if (args.keep) console.log(`kept the database: ${database.url}`)
  else await database.drop()
}
