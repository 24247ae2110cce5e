// `npm run bench:delivery [-- --quick] [--count 100000] [--senders 4] [--no-build] [--keep]`: the
// delivery drain (bench/delivery-drain.ts) against the compiled service on a throw-away database.
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { createPool } from '../src/db/pool.js'
import { createBenchDatabase } from './bench-database.js'
import { startService } from './child.js'
import { benchDeliveryDrain } from './delivery-drain.js'
import { formatTable } from './table.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    senders: { type: 'string', default: '4' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false }
  }
})
const count = Number(args.count ?? (args.quick ? 10_000 : 100_000))
const ADMIN = 'bench-admin-key-0123456789'

if (!args['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
const database = await createBenchDatabase()
process.on('SIGINT', () => { void database.drop().finally(() => process.exit(130)) })
try {
  const { db } = createDatabase(database.url, 2)
  await migrateToLatest(db, database.url)
  await db.destroy()
  const pool = createPool({ connectionString: database.url, max: Number(args.senders) + 2 })
  const service = await startService({ DATABASE_URL: database.url, ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'warn', WORKER_ENABLED: 'false', DATABASE_POOL_SIZE: '10' })
  try {
    const created = await fetch(`http://127.0.0.1:${service.port}/v1/admin/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Drain' })
    })
    const client = await created.json() as { id: string, apiKey: string }
    const result = await benchDeliveryDrain({ pool, port: service.port, clientId: client.id, apiKey: client.apiKey, count, senders: Number(args.senders), maxRss: service.maxRss })
    console.log(`\nservice: ${Math.round(result.serviceRate)} msg/s, bare: ${Math.round(result.bareRate)} msg/s, ratio ${result.ratio.toFixed(2)} (goal ≥ 0.5)\n`)
    console.log(formatTable([result.row]))
  } finally {
    await service.stop()
    await pool.end()
  }
} finally {
  if (args.keep) console.log(`kept the database: ${database.url}`)
  else await database.drop()
}
