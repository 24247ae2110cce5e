import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { claim, tick } from '../helpers/deliveries.js'
import { leadsWithPhones, postInbound } from './helpers.js'

const oneStep = [{ body: 'Hi {{first_name}}', delayMinutes: 0 }]

t.test('campaign stats count the inbound replies and opt-outs that stopped its enrollments', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const other = await app.createClient('Other')
  const phones = ['+12133734250', '+12133734251', '+12133734252', '+12133734253']
  await leadsWithPhones(app, headers, phones.map((phone, i) => ({ externalId: `l${i}`, phone, tags: [i < 3 ? 'x' : 'y'] })))
  await leadsWithPhones(app, other.headers, [{ externalId: 'o', phone: phones[0]!, tags: ['x'] }])
  const x = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const y = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  await createCampaign(app, other.headers, { targeting: { tags: ['x'] } })

  await postInbound(app, headers, { from: phones[0]!, body: 'interested!' }) // reply: stops l0 in x
  await postInbound(app, headers, { from: phones[0]!, body: 'and another' }) // nothing left to stop: not counted
  await postInbound(app, headers, { from: phones[1]!, body: 'STOP' }) // opt-out: stops l1 in x
  await postInbound(app, headers, { from: phones[2]!, body: 'HELP' })
  await postInbound(app, headers, { from: phones[3]!, body: 'stop' }) // y's
  await postInbound(app, other.headers, { from: phones[0]!, body: 'STOP' }) // the other client's campaign

  const stats = async (id: string) => (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${id}/stats`, headers })).json()
  t.match(await stats(x.id), { replies: 1, optOuts: 1, stopReasons: { replied: 1, opted_out: 1 }, enrollments: { active: 1, stopped: 2 } })
  t.match(await stats(y.id), { replies: 0, optOuts: 1 })
})

t.test('a phone left unreadable by the migration is never handed to a sender: skipped as no_phone', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const ids = await leadsWithPhones(app, headers, [{ externalId: 'ok', phone: '+12133734253', tags: ['x'] }, { externalId: 'legacy', phone: '+12133734254', tags: ['x'] }])
  // As migration 0012 leaves a phone it cannot read (the API never stores one).
  await app.ctx.pool.query(`update leads set phone = 'call the office' where id = $1`, [ids.legacy])
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages: oneStep })
  await tick(app)
  const got = await claim(app, headers, { limit: 10 })
  t.same(got.map(d => d.leadId), [ids.ok])
  const { rows } = await app.ctx.pool.query<{ status: string, skip_reason: string }>('select status, skip_reason from deliveries where lead_id = $1', [ids.legacy])
  t.same(rows, [{ status: 'skipped', skip_reason: 'no_phone' }])
})
