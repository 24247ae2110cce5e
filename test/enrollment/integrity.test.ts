import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { lockWaiter } from '../helpers/locks.js'
import { seedLeads } from '../helpers/seed.js'

// What the foreign keys dropped in 0004 held, enforced by 0016: an enrollment or a delivery
// names a lead and a campaign of its own client, whoever writes it.

const sameClient = (table: string) => ({ code: '23503', constraint: `${table}_same_client` })
const keysFixed = (table: string) => ({ code: '23503', constraint: `${table}_keys_fixed` })

/** Two clients with leads a..d and b2, each with a campaign that enrolled nobody. */
async function twoClients (t: Test) {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, ['a', 'b', 'c', 'd'].map(externalId => ({ externalId })))
  await seedLeads(app, two.headers, [{ externalId: 'b2' }])
  const ours = await leadIdsOf(app, one.id)
  const theirs = await leadIdsOf(app, two.id)
  const campaign = (await createCampaign(app, one.headers, { targeting: { tags: ['nobody'] } })).id as string
  const theirCampaign = (await createCampaign(app, two.headers, { targeting: { tags: ['nobody'] } })).id as string
  const lead = (externalId: string) => ours.get(externalId) ?? theirs.get(externalId) ?? ''
  return { app, one: one.id, two: two.id, campaign, theirCampaign, lead }
}

interface Queryable { query: (text: string, values: unknown[]) => Promise<unknown> }

async function enroll (db: Queryable, campaignId: string, leadId: string, clientId: string): Promise<unknown> {
  return await db.query("insert into enrollments (campaign_id, lead_id, client_id, completes_at) values ($1, $2, $3, now() + interval '1 day')", [campaignId, leadId, clientId])
}

async function enrollmentsOfLead (app: TestApp, leadId: string): Promise<number> {
  return (await app.ctx.pool.query('select count(*)::int as n from enrollments where lead_id = $1', [leadId])).rows[0].n
}

t.test('an enrollment names a lead and a campaign of its own client', async t => {
  const { app, one, two, campaign, theirCampaign, lead } = await twoClients(t)
  const query = async (text: string, params: unknown[]) => await app.ctx.pool.query(text, params)

  await t.rejects(enroll(app.ctx.pool, campaign, lead('b2'), one), sameClient('enrollments'), "another client's lead")
  await t.rejects(enroll(app.ctx.pool, theirCampaign, lead('a'), one), sameClient('enrollments'), "another client's campaign")
  await t.rejects(enroll(app.ctx.pool, campaign, lead('a'), two), sameClient('enrollments'), 'a client that owns neither')
  await t.rejects(enroll(app.ctx.pool, campaign, randomUUID(), one), sameClient('enrollments'), 'a lead that does not exist')
  await t.rejects(enroll(app.ctx.pool, randomUUID(), lead('a'), one), sameClient('enrollments'), 'a campaign that does not exist')
  await t.rejects(query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at)
    select $1, id, $2, now() from unnest($3::uuid[]) as id`, [campaign, one, [lead('a'), lead('b2')]]), sameClient('enrollments'), 'one stray row in a set')
  t.equal(await enrollmentsOfLead(app, lead('a')), 0, 'refuses the whole statement')

  await t.resolves(enroll(app.ctx.pool, campaign, lead('a'), one), 'a lead and a campaign of its own client')
  await t.rejects(query('update enrollments set client_id = $1 where lead_id = $2', [two, lead('a')]), keysFixed('enrollments'), 'an enrollment keeps its client')
  await t.rejects(query('update enrollments set lead_id = $1 where lead_id = $2', [lead('b'), lead('a')]), keysFixed('enrollments'), 'and its lead')
  await t.resolves(query("update enrollments set status = 'completed', client_id = client_id where lead_id = $1", [lead('a')]), 'any other change goes through')
  await t.rejects(query('update leads set client_id = $1 where id = $2', [two, lead('a')]), keysFixed('leads'), 'a lead keeps its client')
  await t.rejects(query('update campaigns set client_id = $1 where id = $2', [two, campaign]), keysFixed('campaigns'), 'a campaign keeps its client')

  const deliver = (clientId: string) => query(`insert into deliveries (client_id, campaign_id, lead_id, step, due_at) values ($1, $2, $3, 0, now())`, [clientId, campaign, lead('a')])
  await t.rejects(deliver(two), sameClient('deliveries'), 'a delivery of another client than its lead and campaign')
  await t.resolves(deliver(one))
  await t.rejects(query('update deliveries set client_id = $1', [two]), keysFixed('deliveries'), 'a delivery keeps its client')
})

t.test('deleting a lead, a campaign or a client takes their deliveries with the enrollments', async t => {
  const { app, one, two, campaign, theirCampaign, lead } = await twoClients(t)
  const { rows: [second] } = await app.ctx.pool.query("insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes) values ($1, 'Second', 'active', '{}', '[]', 0) returning id", [one])
  for (const [campaignId, id, clientId] of [[campaign, 'a', one], [campaign, 'b', one], [second.id, 'c', one], [theirCampaign, 'b2', two]]) {
    await enroll(app.ctx.pool, campaignId, lead(id), clientId)
  }
  await app.ctx.pool.query('insert into deliveries (client_id, campaign_id, lead_id, step, due_at) select client_id, campaign_id, lead_id, 0, now() from enrollments')
  const left = async () => await Promise.all(['enrollments', 'deliveries'].map(async table =>
    (await app.ctx.pool.query(`select l.external_id from ${table} x join leads l on l.id = x.lead_id order by 1`)).rows.map(r => r.external_id).join()))

  await app.ctx.pool.query('delete from leads where id = $1', [lead('a')])
  t.same(await left(), ['b,b2,c', 'b,b2,c'], 'a deleted lead takes its enrollment and delivery')
  await app.ctx.pool.query('delete from campaigns where id = $1', [campaign])
  t.same(await left(), ['b2,c', 'b2,c'], 'a deleted campaign takes its enrollments and deliveries')
  await app.ctx.pool.query('delete from clients where id = $1', [one])
  t.same(await left(), ['b2', 'b2'], "a deleted client takes all of its own and nobody else's")
})

// Writers that bypass the engine (which inserts under the client lock) race a delete safely too.
t.test('an enrollment racing the delete of its lead never outlives it', async t => {
  const { app, one, campaign, lead } = await twoClients(t)
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })

  await writer.query('begin')
  await enroll(writer, campaign, lead('a'), one)
  const deleting = app.ctx.pool.query('delete from leads where id = $1', [lead('a')])
  t.ok(await lockWaiter(app) !== undefined, "the lead's cascade waits for the insert's client lock")
  await writer.query('commit')
  await deleting
  t.equal(await enrollmentsOfLead(app, lead('a')), 0, 'then takes the enrollment committed before it')

  await writer.query('begin')
  await writer.query('delete from leads where id = $1', [lead('b')])
  // Refused as soon as the commit releases the lock, maybe before the commit's own answer: watched from now on.
  const inserting = t.rejects(enroll(app.ctx.pool, campaign, lead('b'), one), sameClient('enrollments'), 'then finds the lead gone')
  t.ok(await lockWaiter(app) !== undefined, "the insert's check waits for the delete's client lock")
  await writer.query('commit')
  await inserting

  await writer.query('begin isolation level repeatable read')
  await writer.query('select count(*) from leads')
  await app.ctx.pool.query('delete from leads where id = $1', [lead('c')])
  await t.rejects(enroll(writer, campaign, lead('c'), one), { code: '40001' }, 'a snapshot from before the delete fails to serialize')
  await writer.query('rollback')
  t.equal(await enrollmentsOfLead(app, lead('c')), 0)
})

async function deliveriesOfLead (app: TestApp, leadId: string): Promise<number> {
  return (await app.ctx.pool.query('select count(*)::int as n from deliveries where lead_id = $1', [leadId])).rows[0].n
}

// Migration 0019: deliveries have no row-by-row foreign keys either; a delivery insert nobody
// vouched for locks its lead and campaign as the keys did.
t.test('a delivery racing the delete of its lead never outlives it', async t => {
  const { app, one, campaign, lead } = await twoClients(t)
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })
  const deliver = async (db: Queryable, leadId: string) => await db.query('insert into deliveries (client_id, campaign_id, lead_id, step, due_at) values ($1, $2, $3, 0, now())', [one, campaign, leadId])

  await writer.query('begin')
  await deliver(writer, lead('a'))
  const deleting = app.ctx.pool.query('delete from leads where id = $1', [lead('a')])
  t.ok(await lockWaiter(app) !== undefined, 'the delete waits for the insert that locked its lead')
  await writer.query('commit')
  await deleting
  t.equal(await deliveriesOfLead(app, lead('a')), 0, 'then its cascade takes the delivery committed before it')

  await writer.query('begin')
  await writer.query('delete from leads where id = $1', [lead('b')])
  const inserting = t.rejects(deliver(app.ctx.pool, lead('b')), sameClient('deliveries'), 'then finds the lead gone')
  t.ok(await lockWaiter(app) !== undefined, 'an insert waits for the delete of its lead in progress')
  await writer.query('commit')
  await inserting
  t.equal(await deliveriesOfLead(app, lead('b')), 0)
})

t.test("a vouched delivery of an enrollment row-locked by its writer is taken by the lead's cascade", async t => {
  const { app, one, campaign, lead } = await twoClients(t)
  await enroll(app.ctx.pool, campaign, lead('a'), one)
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })

  // What materialize.ts does: the enrollment row-locked, then its delivery inserted, vouched for.
  await writer.query('begin')
  await writer.query('select 1 from enrollments where lead_id = $1 for update', [lead('a')])
  await writer.query("select set_config('campaign_service.delivery_leads_vouched', $1 || ' ' || txid_current(), true)", [one])
  await writer.query('insert into deliveries (client_id, campaign_id, lead_id, step, due_at) values ($1, $2, $3, 0, now())', [one, campaign, lead('a')])
  const deleting = app.ctx.pool.query('delete from leads where id = $1', [lead('a')])
  t.ok(await lockWaiter(app) !== undefined, "the lead's cascade waits for the enrollment's row lock")
  await writer.query('commit')
  await deleting
  t.same([await enrollmentsOfLead(app, lead('a')), await deliveriesOfLead(app, lead('a'))], [0, 0], 'then takes the enrollment and the delivery committed before it')
})

t.test('a delivery vouch lets no row of another client through, and only its own transaction counts', async t => {
  const { app, one, two, campaign, theirCampaign, lead } = await twoClients(t)
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })
  const vouch = async (clientId: string) => await writer.query("select set_config('campaign_service.delivery_leads_vouched', $1 || ' ' || txid_current(), true)", [clientId])
  const deliver = async (db: Queryable, clientId: string, campaignId: string, leadId: string) =>
    await db.query('insert into deliveries (client_id, campaign_id, lead_id, step, due_at) values ($1, $2, $3, 0, now())', [clientId, campaignId, leadId])
  const refused = async (what: string, vouchFor: string, clientId: string, campaignId: string, leadId: string) => {
    await writer.query('begin')
    await vouch(vouchFor)
    await t.rejects(deliver(writer, clientId, campaignId, leadId), sameClient('deliveries'), what)
    await writer.query('rollback')
  }
  await refused('a vouch for another client: the full check finds the lead of another client', two, one, campaign, lead('b2'))
  await refused("a vouched row naming another client's lead", one, one, campaign, lead('b2'))
  await refused("a vouched row naming another client's campaign", one, one, theirCampaign, lead('a'))
  await refused('a vouched row naming a campaign that does not exist', one, one, randomUUID(), lead('a'))

  // A vouch set for the session (or a role) names no current transaction: the insert locks its lead.
  await writer.query("select set_config('campaign_service.delivery_leads_vouched', $1 || ' ' || txid_current(), false)", [one])
  await writer.query('begin')
  await deliver(writer, one, campaign, lead('a'))
  const deleting = app.ctx.pool.query('delete from leads where id = $1', [lead('a')])
  t.ok(await lockWaiter(app) !== undefined, 'a delete of the lead waits for the insert')
  await writer.query('commit')
  await deleting
  t.equal(await deliveriesOfLead(app, lead('a')), 0)
  await writer.query('reset campaign_service.delivery_leads_vouched')
})

t.test('a lead or campaign is deleted only in read committed: the cascade reads what each statement sees', async t => {
  const { app, campaign, lead } = await twoClients(t)
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })
  for (const level of ['repeatable read', 'serializable']) {
    await writer.query(`begin isolation level ${level}`)
    await t.rejects(writer.query('delete from leads where id = $1', [lead('a')]), { code: '0A000' }, `a lead, in ${level}`)
    await writer.query('rollback')
    await writer.query(`begin isolation level ${level}`)
    await t.rejects(writer.query('delete from campaigns where id = $1', [campaign]), { code: '0A000' }, `a campaign, in ${level}`)
    await writer.query('rollback')
  }
  await t.resolves(app.ctx.pool.query('delete from leads where id = $1', [lead('a')]), 'in read committed')
})
