import { sql } from 'kysely'
import t from 'tap'
import { createDatabase } from '../../src/db/database.js'
import { executePrepared } from '../../src/db/reusable.js'
import { buildTestApp } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'

t.test('reads by id and untagged list pages run as prepared statements that survive a migration adding a column', async t => {
  const app = await buildTestApp(t, { env: { DATABASE_POOL_SIZE: '2' } })
  const { id: clientId, headers } = await app.createClient()
  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'k-1', firstName: 'Ann', createdAt: '2026-01-01T00:00:00Z' }, { externalId: 'k-2', firstName: 'Bob', createdAt: '2026-01-02T00:00:00Z' }
  ] } })
  t.equal(imported.statusCode, 200)
  const { rows: [ids] } = await sql<{ lead: string, campaign: string }>`
    with campaign as (
      insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes)
      values (${clientId}, 'Read me', 'completed', '{}', '[{"body":"Hi","delayMinutes":0}]', 0) returning id
    )
    select (select id from leads where client_id = ${clientId} and external_id = 'k-1') as lead, (select id from campaign) as campaign`.execute(app.ctx.db)
  const read = async () => {
    const lead = await app.api.inject({ method: 'GET', url: `/v1/leads/${ids?.lead}`, headers })
    const campaign = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${ids?.campaign}`, headers })
    const first = await app.api.inject({ method: 'GET', url: '/v1/leads?limit=1', headers })
    const next = await app.api.inject({ method: 'GET', url: `/v1/leads?limit=1&cursor=${first.json().nextCursor}`, headers })
    const body = (answer: typeof lead) => answer.statusCode === 200 ? answer.json() : answer.body
    return { lead: body(lead), campaign: body(campaign), pages: [body(first), body(next)] }
  }
  // One of the pool's two connections is held here: the reads and the look at what they prepared share the other.
  await app.ctx.db.connection().execute(async held => {
    const before = await read()
    t.match(before, { lead: { firstName: 'Ann' }, campaign: { name: 'Read me' }, pages: [{ data: [{ firstName: 'Ann' }] }, { data: [{ firstName: 'Bob' }], nextCursor: null }] })
    const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(app.ctx.db)
    t.ok(prepared.rows.some(row => /from "leads" where "client_id" = \$1 and "id" = \$2$/.test(row.statement)), 'the lead read is prepared')
    t.ok(prepared.rows.some(row => /from "campaigns" where "client_id" = \$1 and "id" = \$2$/.test(row.statement)), 'the campaign read is prepared')
    t.ok(prepared.rows.some(row => /from "leads" where "client_id" = \$1 order by "created_at", "id" limit \$2$/.test(row.statement)), 'the first page is prepared')
    t.ok(prepared.rows.some(row => /order by "created_at", "id" limit \$4$/.test(row.statement)), 'a page after a cursor is prepared')

    // A prepared `select *` would now fail with "cached plan must not change result type".
    await sql`alter table leads add column later_column text`.execute(held)
    await sql`alter table campaigns add column later_column text`.execute(held)
    t.same(await read(), before, 'the same answers after the columns were added')
  })
})

t.test('prepared statements read again on one connection answer rows of their own columns, parsed', async t => {
  const { db } = createDatabase(await freshDatabase(t), 1, { statementMs: 5000, lockMs: 5000 })
  t.teardown(async () => { await db.destroy() })
  await sql`create table row_setup_probe (x integer, at timestamptz, tags text[], note text)`.execute(db)
  await sql`insert into row_setup_probe values (1, '2026-01-01T00:00:00Z', '{a,b}', null)`.execute(db)
  const all = async () => (await executePrepared(db, sql<Record<string, unknown>>`select x, at, tags, note from row_setup_probe`)).rows
  const some = async () => (await executePrepared(db, sql<Record<string, unknown>>`select note as x, x as at from row_setup_probe`)).rows
  const row = { x: 1, at: new Date('2026-01-01T00:00:00Z'), tags: ['a', 'b'], note: null }
  t.same(await all(), [row])
  t.same(await all(), [row], 'again, on the same connection')
  t.same(await some(), [{ x: null, at: 1 }], 'another statement: its own columns')
  t.same(await all(), [row], 'and the first again')
  t.same(Object.keys((await all())[0] ?? {}), ['x', 'at', 'tags', 'note'], 'in their order')
})
