import { sql } from 'kysely'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('reads by id run as prepared statements that survive a migration adding a column', async t => {
  const app = await buildTestApp(t, { env: { DATABASE_POOL_SIZE: '2' } })
  const { id: clientId, headers } = await app.createClient()
  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'k-1', firstName: 'Ann' }] } })
  t.equal(imported.statusCode, 200)
  const { rows: [ids] } = await sql<{ lead: string, campaign: string }>`
    with campaign as (
      insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes)
      values (${clientId}, 'Read me', 'completed', '{}', '[{"body":"Hi","delayMinutes":0}]', 0) returning id
    )
    select (select id from leads where client_id = ${clientId}) as lead, (select id from campaign) as campaign`.execute(app.ctx.db)
  const read = async () => {
    const lead = await app.api.inject({ method: 'GET', url: `/v1/leads/${ids?.lead}`, headers })
    const campaign = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${ids?.campaign}`, headers })
    return { lead: lead.statusCode === 200 ? lead.json() : lead.body, campaign: campaign.statusCode === 200 ? campaign.json() : campaign.body }
  }
  // One of the pool's two connections is held here: the reads and the look at what they prepared share the other.
  await app.ctx.db.connection().execute(async held => {
    const before = await read()
    t.match(before, { lead: { firstName: 'Ann' }, campaign: { name: 'Read me' } })
    const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(app.ctx.db)
    t.ok(prepared.rows.some(row => /from "leads" where "client_id" = \$1 and "id" = \$2$/.test(row.statement)), 'the lead read is prepared')
    t.ok(prepared.rows.some(row => /from "campaigns" where "client_id" = \$1 and "id" = \$2$/.test(row.statement)), 'the campaign read is prepared')

    // A prepared `select *` would now fail with "cached plan must not change result type".
    await sql`alter table leads add column later_column text`.execute(held)
    await sql`alter table campaigns add column later_column text`.execute(held)
    t.same(await read(), before, 'the same answers after the columns were added')
  })
})
