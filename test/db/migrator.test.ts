import t from 'tap'
import { sql } from 'kysely'
import { createDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrator.js'
import { databaseUrl, withServer } from '../helpers/postgres.js'

t.test('replicas migrating an empty database at the same moment apply each migration once', async t => {
  const name = `cs_migrate_${process.pid}`
  await withServer(async client => { await client.query(`drop database if exists ${name} with (force)`); await client.query(`create database ${name}`) })
  const url = databaseUrl(name)
  const replicas = Array.from({ length: 4 }, () => createDatabase(url, 2).db)
  t.teardown(async () => {
    await Promise.all(replicas.map(async db => { await db.destroy() }))
    await withServer(async client => { await client.query(`drop database if exists ${name} with (force)`) })
  })
  const results = await Promise.all(replicas.map(async db => await migrateToLatest(db, url)))
  const applied = results.flatMap(r => r.applied)
  const db = replicas[0]!
  const { rows } = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(db)
  t.same([...applied].sort(), rows.map(r => r.name), 'every migration applied by exactly one replica')
  t.ok(rows.length >= 3)
  const worker = await sql<{ n: number }>`select count(*)::int as n from information_schema.schemata where schema_name = 'graphile_worker'`.execute(db)
  t.equal(worker.rows[0]?.n, 1, "graphile-worker's schema is installed too")
  t.same((await migrateToLatest(db, url)).applied, [], 'a second run applies nothing')
})
