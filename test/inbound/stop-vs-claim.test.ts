import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { claim, tick } from '../helpers/deliveries.js'
import { leadsWithPhones, postInbound } from './helpers.js'

const oneStep = [{ body: 'Hi {{first_name}}', delayMinutes: 0 }]

t.test('after a STOP commits, no claim returns that lead\'s delivery, even with claims racing it', async t => {
  const one = await buildTestApp(t)
  const two = await buildTestApp(t, { databaseUrl: one.databaseUrl })
  const { headers } = await one.createClient()
  const leads = Array.from({ length: 40 }, (_, i) => ({ externalId: `l${i}`, phone: `+1213373${String(4000 + i)}`, tags: ['x'] }))
  const ids = await leadsWithPhones(one, headers, leads)
  await createCampaign(one, headers, { targeting: { tags: ['x'] }, messages: oneStep })
  await tick(one) // every lead's message 0 is a due delivery now

  // STOPs one lead after another while claims run on both replicas.
  const stoppedAt = new Map<string, number>()
  const returned: Array<{ leadId: string, startedAt: number }> = []
  let seq = 0
  let stopping = true
  const claimer = async (app: typeof one) => {
    while (stopping) {
      const startedAt = ++seq
      const got = await claim(app, headers, { limit: 5, leaseSeconds: 10 })
      for (const d of got) returned.push({ leadId: d.leadId, startedAt })
      // A sender that dies at once: the lease lapses, so the same deliveries keep coming back
      // until their enrollment stops. A STOP that left one pending or leased would be caught.
      await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second' where id = any($1) and status = 'leased'`, [got.map(d => d.id)])
    }
  }
  const claimers = [claimer(one), claimer(two), claimer(one)]
  for (let i = 0; i < 20; i++) {
    const answer = (await postInbound(i % 2 === 0 ? one : two, headers, { from: leads[i]!.phone, body: 'STOP' })).json()
    t.equal(answer.action, 'opted_out')
    stoppedAt.set(ids[`l${i}`]!, ++seq)
  }
  stopping = false
  await Promise.all(claimers)
  const late = returned.filter(r => stoppedAt.has(r.leadId) && r.startedAt > stoppedAt.get(r.leadId)!)
  t.same(late, [], 'no claim started after a STOP answered returned that lead')
  const after = await claim(one, headers, { limit: 500 })
  t.notOk(after.some(d => stoppedAt.has(d.leadId)), 'nor does any claim now')
  const { rows } = await one.ctx.pool.query<{ n: number }>(
    `select count(*)::int as n from deliveries where lead_id = any($1) and status in ('pending', 'leased')`, [[...stoppedAt.keys()]])
  t.equal(rows[0]!.n, 0, 'their deliveries are all withdrawn (a lease handed out before the STOP included)')
})
