import t, { type Test } from 'tap'
import { stopEnrollmentsOfLeads } from '../../src/enrollment/stop.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { claim, tick } from '../helpers/deliveries.js'
import { seedLeads } from '../helpers/seed.js'

// A result that waited for an enrollment lock finds the delivery and the enrollment as the
// transaction it waited for left them (committed after the result's statement began): it must
// write to those versions, never answer "applied" and leave the rows as they were.

const twoSteps = [{ body: 'Hi {{first_name}}', delayMinutes: 0 }, { body: 'Again {{first_name}}', delayMinutes: 60 }]

async function leased (t: Test) {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'], phone: '+15551000000' } as never])
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages: twoSteps })
  await tick(app)
  const [delivery] = await claim(app, headers, { limit: 1 })
  return { app, headers, clientId, delivery: delivery as { id: string, leadId: string } }
}

/** Starts a `sent` result for `id` and returns its answer to come once it waits on a lock. */
async function resultWaiting (app: TestApp, headers: Record<string, string>, id: string): Promise<{ answer: Promise<Record<string, unknown>> }> {
  const answer = app.api.inject({ method: 'POST', url: '/v1/deliveries/results', headers, payload: { results: [{ id, outcome: 'sent', providerMessageId: 'p-1' }] } })
  for (;;) {
    const { rows } = await app.ctx.pool.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
    if (rows[0].n > 0) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return { answer: answer.then(response => response.json()) }
}

async function rowsOf (app: TestApp, id: string) {
  const { rows } = await app.ctx.pool.query(`select d.status, d.attempts, d.provider_message_id, e.status as enrollment, e.next_step
    from deliveries d join enrollments e on e.campaign_id = d.campaign_id and e.lead_id = d.lead_id where d.id = $1`, [id])
  return rows[0]
}

t.test('a result that waited for an opt-out records a late sent on the withdrawn delivery', async t => {
  const { app, headers, clientId, delivery } = await leased(t)
  const { answer } = await app.ctx.db.transaction().execute(async tx => {
    t.equal((await stopEnrollmentsOfLeads(tx, clientId, [delivery.leadId], 'opted_out', app.config)).length, 1)
    return await resultWaiting(app, headers, delivery.id)
  })
  t.match(await answer, { applied: 1, conflicts: [] })
  t.match(await rowsOf(app, delivery.id), { status: 'sent', provider_message_id: 'p-1', enrollment: 'stopped' }, 'the late sent is written')
})

t.test('a result that waited while its expired lease was claimed again is written and moves the enrollment on', async t => {
  const { app, headers, delivery } = await leased(t)
  await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second'`)
  const holder = await app.ctx.pool.connect()
  await holder.query('begin')
  await holder.query('select 1 from enrollments where lead_id = $1 for update', [delivery.leadId])
  const { answer } = await resultWaiting(app, headers, delivery.id)
  t.match(await claim(app, headers, { limit: 1 }), [{ id: delivery.id, attempts: 2 }], 'claimed again meanwhile')
  await holder.query('commit')
  holder.release()
  t.match(await answer, { applied: 1 })
  t.match(await rowsOf(app, delivery.id), { status: 'sent', attempts: 2, enrollment: 'active', next_step: 1 })
})

t.test('a result that waited while its enrollment row was updated moves the enrollment on', async t => {
  const { app, headers, delivery } = await leased(t)
  const holder = await app.ctx.pool.connect()
  await holder.query('begin')
  await holder.query('update enrollments set next_due_at = null where lead_id = $1', [delivery.leadId])
  const { answer } = await resultWaiting(app, headers, delivery.id)
  await holder.query('commit')
  holder.release()
  t.match(await answer, { applied: 1 })
  t.match(await rowsOf(app, delivery.id), { status: 'sent', enrollment: 'active', next_step: 1 })
})
