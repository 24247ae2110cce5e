import t, { type Test } from 'tap'
import { createDatabase } from '../../src/db/database.js'
import { enrollCampaign, vouchForLeads } from '../../src/enrollment/engine.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// Migration 0018: the engine vouches for the leads of its own INSERT ... SELECT (it selects them
// by client under the client lock), so the check does not probe them again; every other insert,
// and any row the vouch does not name, is checked in full.

const sameClient = { code: '23503', constraint: 'enrollments_same_client' }

async function twoClients (t: Test) {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, ['a', 'b', 'c'].map(externalId => ({ externalId, tags: ['later'] })))
  await seedLeads(app, two.headers, [{ externalId: 'b2' }])
  const ids = new Map([...await leadIdsOf(app, one.id), ...await leadIdsOf(app, two.id)])
  const campaign = (await createCampaign(app, one.headers, { targeting: { tags: ['nobody'] } })).id as string
  const theirCampaign = (await createCampaign(app, two.headers, { targeting: { tags: ['nobody'] } })).id as string
  const writer = await app.ctx.pool.connect()
  t.teardown(() => { writer.release() })
  const insert = async (campaignId: string, clientId: string, externalIds: string[]) => await writer.query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at)
    select $1, id, $2, now() from unnest($3::uuid[]) as id`, [campaignId, clientId, externalIds.map(id => ids.get(id))])
  const vouch = async (campaignId: string, clientId: string) => {
    const { sql, parameters } = vouchForLeads(campaignId, clientId).compile(app.ctx.db)
    await writer.query(`select ${sql}`, [...parameters])
  }
  /** Index scans of leads_pkey by this transaction so far: one per lead probed. */
  const leadProbes = async () => Number((await writer.query("select pg_stat_get_xact_numscans('leads_pkey'::regclass) as n")).rows[0].n)
  return { app, ids, one: one.id, two: two.id, campaign, theirCampaign, writer, insert, vouch, leadProbes }
}

t.test('a vouched statement is not probed lead by lead; anything else is', async t => {
  const { one, campaign, writer, insert, vouch, leadProbes } = await twoClients(t)
  await writer.query('begin')
  await vouch(campaign, one)
  let before = await leadProbes()
  await insert(campaign, one, ['a', 'b'])
  t.equal(await leadProbes() - before, 0, 'the vouched insert probes no lead')
  before = await leadProbes()
  await insert(campaign, one, ['c'])
  t.equal(await leadProbes() - before, 1, 'the vouch held for one statement: the next is probed')
  await writer.query('rollback')
})

t.test('the vouch lets no stray row through', async t => {
  const { ids, one, two, campaign, theirCampaign, writer, insert, vouch } = await twoClients(t)
  const refused = async (what: string, run: () => Promise<unknown>, begin = 'begin') => {
    await writer.query(begin)
    await t.rejects(run(), sameClient, what)
    await writer.query('rollback')
  }
  await refused('a vouch for another campaign', async () => { await vouch(theirCampaign, two); await insert(campaign, one, ['b2']) })
  await refused('a row outside the vouch in the same statement', async () => {
    await vouch(campaign, one)
    await writer.query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at)
      values ($1, $2, $3, now()), ($4, $5, $6, now())`, [campaign, ids.get('b'), one, theirCampaign, ids.get('a'), two])
  })
  await refused('a vouched campaign of another client', async () => { await vouch(theirCampaign, one); await insert(theirCampaign, one, ['a']) })
  await refused('the statement after the vouched one', async () => { await vouch(campaign, one); await insert(campaign, one, ['a']); await insert(campaign, one, ['b2']) })
  await refused('a snapshot other than read committed', async () => { await vouch(campaign, one); await insert(campaign, one, ['b2']) }, 'begin isolation level repeatable read')
})

t.test("the engine's chunks are vouched: enrolling probes no lead", async t => {
  const { app, campaign } = await twoClients(t)
  // A pool of one connection, so its statistics can be flushed after the run.
  const { db, pool } = createDatabase(app.databaseUrl, 1)
  t.teardown(async () => { await db.destroy() })
  const probes = async () => {
    await pool.query('select pg_stat_force_next_flush()')
    return Number((await app.ctx.pool.query("select idx_scan from pg_stat_user_indexes where indexrelname = 'leads_pkey'")).rows[0].idx_scan)
  }
  await app.ctx.pool.query("update campaigns set targeting = '{\"tags\": [\"later\"]}' where id = $1", [campaign])
  const before = await probes()
  const run = await enrollCampaign(db, campaign, { config: app.config, chunkSize: 2, budgetMs: 60_000 })
  t.equal(run.enrolled, 3, 'in two chunks')
  t.equal(await probes() - before, 0)
})
