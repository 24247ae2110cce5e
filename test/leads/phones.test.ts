import t from 'tap'
import { sql } from 'kysely'
import { ConfigError, loadConfig } from '../../src/config.js'
import { createDatabase } from '../../src/db/database.js'
import { toE164 } from '../../src/leads/phone.js'
import { down, up } from '../../db/migrations/0012_phones_inbound.js'
import { buildTestApp } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'

// [written, E.164 in the US default region | undefined when not a possible number]
const TABLE: Array<[string, string | undefined]> = [
  ['+12133734253', '+12133734253'],
  ['2133734253', '+12133734253'],
  ['(213) 373-4253', '+12133734253'],
  ['213.373.4253', '+12133734253'],
  ['  +1 213 373 4253  ', '+12133734253'],
  ['1-213-373-4253', '+12133734253'],
  ['+44 20 7946 0958', '+442079460958'],
  ['+33 6 12 34 56 78', '+33612345678'],
  ['12345', undefined],
  ['555-0100', undefined],
  ['abc', undefined],
  ['213-ABC-4253', undefined],
  ['1-800-FLOWERS', undefined],
  ['call 213 373 4253', undefined],
  ['2133734253 ext 12', undefined],
  ['+1', undefined],
  ['', undefined]
]

t.test('the parsing table', async t => {
  for (const [written, expected] of TABLE) t.equal(toE164(written, 'US'), expected, JSON.stringify(written))
  t.equal(toE164('020 7946 0958', 'GB'), '+442079460958', 'a national number read in another default region')
})

t.test('DEFAULT_PHONE_REGION defaults to US and must be a region with phone rules', async t => {
  t.equal(loadConfig({}).DEFAULT_PHONE_REGION, 'US')
  t.equal(loadConfig({ DEFAULT_PHONE_REGION: 'GB' }).DEFAULT_PHONE_REGION, 'GB')
  for (const bad of ['us', 'XX', 'USA']) {
    t.throws(() => loadConfig({ DEFAULT_PHONE_REGION: bad }), new ConfigError(`Invalid configuration: DEFAULT_PHONE_REGION=${JSON.stringify(bad)} must be a region code with phone metadata, e.g. US or GB`))
  }
})

t.test('import and PATCH store and return E.164; not a possible number is a 400 naming the field', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const readable = TABLE.filter(([, e164]) => e164 !== undefined)
  const imported = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: readable.map(([phone], i) => ({ externalId: `p-${i}`, firstName: 'P', phone })) } })
  t.equal(imported.statusCode, 200)
  const list = await app.api.inject({ method: 'GET', url: '/v1/leads?limit=200', headers })
  const byExternal = new Map(list.json().data.map((lead: { externalId: string, phone: string }) => [lead.externalId, lead.phone]))
  readable.forEach(([written, e164], i) => { t.equal(byExternal.get(`p-${i}`), e164, JSON.stringify(written)) })

  // The same number written another way is no change.
  const again = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'p-0', firstName: 'P', phone: '(213) 373 4253' }] } })
  t.same(again.json(), { created: 0, updated: 0, unchanged: 1 })

  const bad = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'ok', firstName: 'Ok', phone: '2133734253' },
    { externalId: 'short', firstName: 'S', phone: '12345' },
    { externalId: 'letters', firstName: 'L', phone: 'abc', tags: Array.from({ length: 13 }, (_, i) => String.fromCharCode(97 + i).repeat(100)) }
  ] } })
  t.equal(bad.statusCode, 400)
  t.same(bad.json().errors.map((e: { path: string }) => e.path), ['leads/1/phone', 'leads/2/tags', 'leads/2/phone'])
  t.equal((await app.ctx.db.selectFrom('leads').select('id').where('external_id', '=', 'ok').execute()).length, 0, 'nothing written')

  const id = list.json().data[0].id
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers, payload: { phone: '020 7946 0958' } })
  t.equal(patched.statusCode, 400)
  t.same(patched.json().errors, [{ path: 'phone', message: patched.json().errors[0].message }])
  t.match(patched.json().detail, /^phone must be a possible phone number/)
  const fixed = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers, payload: { phone: '+44 20 7946 0958' } })
  t.equal(fixed.json().phone, '+442079460958')
  const cleared = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers, payload: { phone: null } })
  t.equal(cleared.json().phone, null)
})

t.test('migration 0012 rewrites stored phones to E.164 and keeps unreadable ones as they were', async t => {
  const url = await freshDatabase(t)
  const { db } = createDatabase(url, 2)
  t.teardown(async () => { await db.destroy() })
  await down(db)
  const { rows: [client] } = await sql<{ id: string }>`insert into clients (name) values ('c') returning id`.execute(db)
  const stored = ['(213) 373-4253', '+12133734253', 'not a phone', '12345', null]
  await sql`insert into leads (client_id, external_id, first_name, phone, updated_at)
    select ${client!.id}, 'l' || n, 'L', p, '2020-01-01T00:00:00Z' from unnest(${stored}::text[]) with ordinality as s (p, n)`.execute(db)
  await up(db)
  const { rows } = await sql<{ phone: string | null, updated_at: Date }>`select phone, updated_at from leads order by external_id`.execute(db)
  t.same(rows.map(r => r.phone), ['+12133734253', '+12133734253', 'not a phone', '12345', null])
  t.ok(rows.every(r => r.updated_at.toISOString() === '2020-01-01T00:00:00.000Z'), 'a change of form keeps updatedAt')
  // A client of some size, so the plan is the one production gets.
  await sql`insert into leads (client_id, external_id, first_name, phone)
    select ${client!.id}, 'x' || n, 'X', '+1213' || lpad(n::text, 7, '0') from generate_series(1, 5000) n`.execute(db)
  await sql`vacuum analyze leads`.execute(db)
  // With sequential and bitmap scans priced out, the plan names the index exactly when the lookup
  // can use it: the planner's free choice on a table this small varies from run to run.
  const plan = await db.transaction().execute(async tx => {
    await sql`set local enable_seqscan = off; set local enable_bitmapscan = off`.execute(tx)
    return await sql<{ 'QUERY PLAN': string }>`explain select id from leads where client_id = ${client!.id} and phone = '+12133734253'`.execute(tx)
  })
  t.match(plan.rows.map(r => r['QUERY PLAN']).join('\n'), /leads_client_phone/, 'an inbound lookup probes the phone index')
})
