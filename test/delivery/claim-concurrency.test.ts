import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { claim, tick } from '../helpers/deliveries.js'
import { seedLeads } from '../helpers/seed.js'

const leads = (n: number) => Array.from({ length: n }, (_, i) => ({ externalId: `l${i}`, tags: ['x'], phone: `+1555${String(1000000 + i)}` }) as never)
const oneStep = [{ body: 'Hi {{first_name}}', delayMinutes: 0 }]

t.test('a claim passes over deliveries another claim holds, never waiting for them (SKIP LOCKED)', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, leads(100))
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages: oneStep })
  await tick(app) // the rows exist before the race
  const holder = await app.ctx.pool.connect()
  t.teardown(async () => { await holder.query('rollback').catch(() => {}); holder.release() })
  await holder.query('begin')
  const { rows: held } = await holder.query<{ id: string }>(`select id from deliveries order by due_at limit 50 for update`)
  let answered = false
  const claiming = claim(app, headers, { limit: 50 }).finally(() => { answered = true })
  // Either the claim answers, or it waits on the held rows' locks: that would be the failure.
  for (;;) {
    if (answered) break
    const { rows } = await app.ctx.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
    if (rows[0].n > 0) {
      await holder.query('rollback')
      await claiming
      t.fail('the claim waited for a lock another claim held')
      return
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const got = await claiming
  t.equal(got.length, 50, 'the 50 others')
  const heldIds = new Set(held.map(r => r.id))
  t.notOk(got.some(d => heldIds.has(d.id)), 'none of the held ones')
})

t.test('parallel claims on two replicas never hand out one delivery twice while its lease holds', async t => {
  const one = await buildTestApp(t)
  const two = await buildTestApp(t, { databaseUrl: one.databaseUrl })
  const { headers } = await one.createClient()
  await seedLeads(one, headers, leads(300))
  await createCampaign(one, headers, { targeting: { tags: ['x'] }, messages: oneStep })
  await tick(one)
  const rounds = await Promise.all(Array.from({ length: 12 }, async (_, i) => await claim(i % 2 === 0 ? one : two, headers, { limit: 30 })))
  const ids = rounds.flat().map(d => d.id)
  t.equal(new Set(ids).size, ids.length, 'no delivery in two answers')
  t.equal(ids.length, 300, 'all 300 handed out, 30 per claim while any were left')
  const again = await Promise.all([claim(one, headers, { limit: 500 }), claim(two, headers, { limit: 500 })])
  t.same(again, [[], []], 'nothing while the leases hold')
  await one.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second' where id = any($1)`, [ids.slice(0, 7)])
  const expired = await Promise.all([claim(one, headers, { limit: 500 }), claim(two, headers, { limit: 500 })])
  t.same(expired.flat().map(d => d.id).sort(), ids.slice(0, 7).sort(), 'expired leases come back, each once')
  t.ok(expired.flat().every(d => d.attempts === 2))
})
