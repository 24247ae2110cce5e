import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { migrateToLatest } from '../src/db/migrator.js'
import { createDatabase } from '../src/db/database.js'
import { upsertLeads } from '../src/leads/repository.js'
import { createBenchDatabase } from './bench-database.js'
const database = await createBenchDatabase()
const { db: mdb } = createDatabase(database.url, 2); await migrateToLatest(mdb, database.url); await mdb.destroy()
const pool = new pg.Pool({ connectionString: database.url, max: 2 })
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }), log: e => { if (e.level === 'query') console.log(e.queryDurationMillis.toFixed(1), 'ms', e.query.sql.replace(/\s+/g, ' ').slice(0, 70)) } })
const client = (await pool.query("insert into clients (name) values ('x') returning id")).rows[0].id
const TAGS = [['vip', 'kajabi'], ['kajabi'], ['webinar', 'kajabi'], []]
for (let call = 0; call < 4; call++) {
  const leads = Array.from({ length: 5000 }, (_, k) => { const i = call * 5000 + k; return { externalId: `crm-${i}`, firstName: `F${i}`, lastName: `L${i}`, phone: `+1202555${String(i % 10000).padStart(4, '0')}`, email: `l${i}@example.com`, tags: TAGS[i % 4], engagementLevel: 'high', icpScore: i % 101 } })
  const t0 = performance.now()
  await db.transaction().execute(async tx => { await upsertLeads(tx as never, client, leads as never) })
  console.log('call', call, (performance.now() - t0).toFixed(0), 'ms')
}
console.log((await pool.query("select indexrelid::regclass::text as i, pg_get_indexdef(indexrelid) d from pg_index where indrelid = 'leads'::regclass")).rows.map(r => r.d).join('\n'))
console.log((await pool.query("select tgname from pg_trigger where tgrelid = 'leads'::regclass")).rows)
await db.destroy(); await database.drop()
