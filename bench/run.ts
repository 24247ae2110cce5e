// The benchmark suite: every hot path against its floor, measured in the same run, one table.
// `npm run bench [-- --quick] [--only read,import,enroll,tick,delivery] [--keep]`
import os from 'node:os'
import { parseArgs } from 'node:util'
import { createDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { createPool } from '../src/db/pool.js'
import { createBenchDatabase, seedLeads } from './bench-database.js'
import { execFileSync } from 'node:child_process'
import { startService } from './child.js'
import { benchDeliveryDrain } from './delivery-drain.js'
import { benchEnroll } from './enrollment.js'
import { benchImport } from './import.js'
import { benchReads } from './read.js'
import { benchTick } from './tick.js'
import { formatTable, type Row } from './table.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false }
  }
})
const only = new Set((args.only ?? 'import,read,enroll,tick,delivery').split(','))
const quick = args.quick
const ADMIN = 'bench-admin-key-0123456789'
const CRON = 'bench-cron-secret-0123456789'
const POOL_SIZE = 10

// The service runs as deployed: compiled. --no-build takes dist/ as it is.
if (!args['no-build']) {
  console.log('building dist/ (npm run build) ...')
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
}
const database = await createBenchDatabase()
process.on('SIGINT', () => { void database.drop().finally(() => process.exit(130)) })
const rows: Row[] = []
let lifetimePeak = 0
const loadAverage = () => os.loadavg().map(load => load.toFixed(1)).join(' ')
const loadBefore = loadAverage()
const machine = [`${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`, `${Math.round(os.totalmem() / 2 ** 30)} GB RAM`, `Node ${process.version}`]
try {
  const { db } = createDatabase(database.url, 2)
  await migrateToLatest(db, database.url)
  await db.destroy()
  const pool = createPool({ connectionString: database.url, max: 4 })
  const service = await startService({
    DATABASE_URL: database.url,
    ADMIN_API_KEY: ADMIN,
    CRON_SECRET: CRON,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    WORKER_ENABLED: 'false',
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    // Far beyond any run here, so a run finishes its whole audience in one request.
    ENROLLMENT_TIME_BUDGET_MS: '3600000'
  })
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`http://127.0.0.1:${service.port}/v1/admin${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    if (response.status !== 201) throw new Error(`POST /v1/admin${path} answered ${response.status}: ${await response.text()}`)
    return await response.json() as { id: string, apiKey: string }
  }
  try {
    const reader = await admin('/clients', { name: 'Reads and imports' })
    if (only.has('import')) rows.push(await service.resetPeak().then(async () => await benchImport({ pool, service, apiKey: reader.apiKey, count: quick ? 20_000 : 200_000 })))
    if (only.has('tick')) rows.push(await service.resetPeak().then(async () => await benchTick({ pool, service, cronSecret: CRON, campaigns: quick ? 100 : 1000 })))
    // After the tick: the tick also makes the first deliveries of every enrollment due, and the
    // million enrollments of this path would be its work then, not the activation's.
    if (only.has('enroll')) rows.push(await service.resetPeak().then(async () => await benchEnroll({ pool, service, client: await admin('/clients', { name: 'Enrollment' }), leads: quick ? 100_000 : 1_000_000 })))
    if (only.has('delivery')) {
      await service.resetPeak()
      const sender = await admin('/clients', { name: 'Delivery' })
      rows.push((await benchDeliveryDrain({ pool, port: service.port, clientId: sender.id, apiKey: sender.apiKey, count: quick ? 10_000 : 100_000, maxRss: service.maxRss })).row)
    }
    // Reads last: V8 keeps the heap that 32 connections of list pages grew (RSS stays about
    // 220 MB after them), and a path after them would show that as its own peak.
    if (only.has('read')) {
      if (!only.has('import')) await seedLeads(pool, reader.id, quick ? 20_000 : 200_000)
      await service.resetPeak()
      rows.push(...await benchReads({ pool, databaseUrl: database.url, service, clientId: reader.id, apiKey: reader.apiKey, poolSize: POOL_SIZE, quick }))
    }
    machine.push(`PostgreSQL ${(await pool.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v}`)
  } finally {
    lifetimePeak = Math.max(lifetimePeak, ...rows.map(row => row.peakRss ?? 0))
    await service.stop()
    await pool.end()
  }
  console.log(`\n${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}; ${machine.join(', ')}; load average before ${loadBefore}, after ${loadAverage()}\n`)
  console.log(formatTable(rows))
  console.log(`\nservice peak RSS over the whole run: ${Math.round(lifetimePeak / 2 ** 20)} MB (each row: that path's own peak)`)
} finally {
  if (args.keep) console.log(`kept the database: ${database.url}`)
  else await database.drop()
}
