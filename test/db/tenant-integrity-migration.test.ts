import { Kysely, PostgresDialect } from 'kysely'
import t from 'tap'
import { down, up } from '../../db/migrations/0016_tenant_integrity.js'
import { createPool } from '../../src/db/pool.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// 0016 checks the rows already there, as VALIDATE CONSTRAINT would: a stray one stops the
// migration (and the service's start) instead of living on unchecked.
t.test('the migration refuses to pass over an enrollment of another client', async t => {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, two.headers, [{ externalId: 'theirs' }])
  const campaign = await createCampaign(app, one.headers, { targeting: { tags: ['nobody'] } })
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool({ connectionString: app.databaseUrl, max: 2 }) }) })
  t.teardown(async () => { await db.destroy() })

  await down(db)
  await app.ctx.pool.query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at)
    select $1, id, $2, now() from leads where client_id = $3`, [campaign.id, one.id, two.id])
  await t.rejects(db.transaction().execute(async tx => { await up(tx) }), /^1 enrollments and 0 deliveries name a lead or a campaign missing or of another client/)
  const { rows } = await app.ctx.pool.query("select count(*)::int as n from pg_trigger where tgname like '%same_client'")
  t.equal(rows[0].n, 0, 'nothing of it stays')

  await app.ctx.pool.query('delete from enrollments')
  await db.transaction().execute(async tx => { await up(tx) })
  await t.rejects(app.ctx.pool.query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at)
    select $1, id, $2, now() from leads where client_id = $3`, [campaign.id, one.id, two.id]), { code: '23503' }, 'once the row is gone it goes through, and holds')
})
