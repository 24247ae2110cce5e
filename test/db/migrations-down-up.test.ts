import { Kysely, PostgresDialect, sql } from 'kysely'
import t from 'tap'
import { createMigrator } from '../../src/db/migrator.js'
import { createPool } from '../../src/db/pool.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// Every table, column, index, constraint, trigger and function of the public schema, as text.
async function schemaOf (db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ line: string }>`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = 'public'
    union all select 'index ' || indexdef from pg_indexes where schemaname = 'public'
    union all select 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace
    union all select 'trigger ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
    union all select 'function ' || proname || ' ' || md5(prosrc) from pg_proc where pronamespace = 'public'::regnamespace
    order by line`.execute(db)
  return rows.map(r => r.line)
}

t.test('every migration goes down and up again on a database with data', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }, { externalId: 'c', tags: ['y'] }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  t.equal(campaign.enrollment.enrolled, 2, 'the data includes enrollments')
  await app.ctx.close()

  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool({ connectionString: app.databaseUrl, max: 2 }) }) })
  t.teardown(async () => { await db.destroy() })
  const migrator = createMigrator(db)
  const before = await schemaOf(db)
  const migrations = await migrator.getMigrations()
  t.ok(migrations.length >= 10 && migrations.every(m => m.executedAt !== undefined), 'starts fully migrated')

  // One at a time, newest first, each down running over the rows the later ones left.
  const downs: string[] = []
  for (;;) {
    const { error, results = [] } = await migrator.migrateDown()
    t.equal(error, undefined, results.length > 0 ? `down ${results[0]!.migrationName}` : 'nothing left to take down')
    if (error !== undefined || results.length === 0) break
    downs.push(results[0]!.migrationName)
  }
  t.same(downs, migrations.map(m => m.name).reverse(), 'every migration went down, newest first')
  t.same((await schemaOf(db)).filter(line => !line.includes('schema_migrations')), [], "nothing but the migrator's own tables is left")

  const { error, results = [] } = await migrator.migrateToLatest()
  t.equal(error, undefined)
  t.equal(results.length, migrations.length, 'every migration went up again')
  t.same(await schemaOf(db), before, 'the schema is the one the migrations made the first time')
})
