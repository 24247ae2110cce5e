import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, leadIdsOf } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// The last guard under the advisory lock: even a writer that bypasses the engine cannot break
// the enrollment rules.
t.test('the database refuses what the rules forbid', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['y'] }])
  const ids = await leadIdsOf(app, clientId)
  const x = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 1 })
  const y = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  const insert = async (campaignId: string, lead: string, status = 'active') => await app.ctx.pool.query(
    `insert into enrollments (campaign_id, lead_id, client_id, status, completes_at) values ($1, $2, $3, $4, now() + interval '1 day')`,
    [campaignId, ids.get(lead), clientId, status])

  await t.rejects(insert(y.id, 'a'), { code: '23505', constraint: 'enrollments_one_active_per_lead' }, 'a second active enrollment for a lead')
  await t.rejects(insert(x.id, 'a', 'completed'), { code: '23505', constraint: 'enrollments_pkey' }, 'the same lead twice in one campaign, whatever the status')
  await t.rejects(app.ctx.pool.query('update campaigns set leads_enrolled = 2 where id = $1', [x.id]), { code: '23514' }, 'leadsEnrolled over the cap')
  await t.rejects(app.ctx.pool.query('update campaigns set max_leads_to_enroll = 0 where id = $1', [y.id]), { code: '23514' }, 'a cap below 1')
  await app.ctx.pool.query("update enrollments set status = 'completed' where campaign_id = $1", [x.id])
  await t.resolves(insert(y.id, 'a'), 'once the first enrollment is no longer active the lead may join another campaign')
})

// enrollments has no row-by-row foreign keys (see 0004): deletes cascade through statement triggers.
t.test('deleting a lead, a campaign or a client removes their enrollments', async t => {
  const app = await buildTestApp(t)
  const one = await app.createClient()
  const two = await app.createClient()
  await seedLeads(app, one.headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }, { externalId: 'c', tags: ['y'] }])
  await seedLeads(app, two.headers, [{ externalId: 'a', tags: ['x'] }])
  const ids = await leadIdsOf(app, one.id)
  const x = await createCampaign(app, one.headers, { targeting: { tags: ['x'] } })
  const y = await createCampaign(app, one.headers, { targeting: { tags: ['y'] } })
  const theirs = await createCampaign(app, two.headers, { targeting: { tags: ['x'] } })
  const count = async (where: string, params: unknown[] = []): Promise<number> =>
    (await app.ctx.pool.query(`select count(*)::int as n from enrollments where ${where}`, params)).rows[0].n

  await app.ctx.pool.query('delete from leads where id = $1', [ids.get('a')])
  t.equal(await count('lead_id = $1', [ids.get('a')]), 0, 'a deleted lead leaves no enrollment')
  t.equal(await count('campaign_id = $1', [x.id]), 1, 'the campaign keeps its other lead')
  await app.ctx.pool.query('delete from campaigns where id = $1', [x.id])
  t.equal(await count('campaign_id = $1', [x.id]), 0, 'a deleted campaign leaves no enrollment')
  t.equal(await count('campaign_id = $1', [y.id]), 1)
  await app.ctx.pool.query('delete from clients where id = $1', [one.id])
  t.equal(await count('client_id = $1', [one.id]), 0, 'a deleted client leaves no enrollment')
  t.equal(await count('campaign_id = $1', [theirs.id]), 1, "another client's enrollments stay")
})

