import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { tick } from '../helpers/deliveries.js'
import { seedLeads } from '../helpers/seed.js'

const FUTURE = '2999-01-01T00:00:00Z'

/** A scheduled campaign targeting `tag`, made due a minute ago. */
async function dueCampaign (app: TestApp, headers: Record<string, string>, tag: string, body: Record<string, unknown>): Promise<string> {
  const response = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: tag, targeting: { tags: [tag] }, startAt: FUTURE, ...body } })
  if (response.statusCode !== 201) throw new Error(response.body)
  const id = response.json<{ id: string }>().id
  await app.ctx.pool.query(`update campaigns set start_at = now() - interval '1 minute' where id = $1`, [id])
  return id
}

interface Made { campaign_id: string, step: number, status: string, skip_reason: string | null, on_enrollment: boolean, next_due_at: Date | null, due_at: Date | null }

/** Each enrollment with its delivery of message 0, if made: whether it is due at the enrollment's own time. */
async function firstMessages (app: TestApp): Promise<Made[]> {
  const { rows } = await app.ctx.pool.query<Made>(`
    select e.campaign_id, d.step, d.status, d.skip_reason, d.due_at = e.enrolled_at as on_enrollment, e.next_due_at, d.due_at
    from enrollments e left join deliveries d on d.campaign_id = e.campaign_id and d.lead_id = e.lead_id and d.step = 0`)
  return rows
}

t.test('the tick makes message 0 of what it enrolls: due at once with no window; a window or a delay keeps its own time', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, ['now', 'window', 'later'].map(tag => ({ externalId: tag, tags: [tag], phone: '+15551230001' } as never)))
  // A window closed right now (UTC), so message 0 moves to its next opening.
  const closed = new Date().getUTCHours() < 12 ? { start: '13:00', end: '14:00' } : { start: '01:00', end: '02:00' }
  const now = await dueCampaign(app, headers, 'now', { messages: [{ body: 'Hi', delayMinutes: 0 }, { body: 'Bye', delayMinutes: 60 }] })
  const windowed = await dueCampaign(app, headers, 'window', { messages: [{ body: 'Hi', delayMinutes: 0 }], sendWindow: closed })
  const later = await dueCampaign(app, headers, 'later', { messages: [{ body: 'Hi', delayMinutes: 30 }] })
  const body = await tick(app)
  t.equal(body.activated.length, 3)
  const made = new Map((await firstMessages(app)).map(row => [row.campaign_id, row]))
  t.match(made.get(now), { step: 0, status: 'pending', on_enrollment: true, next_due_at: null }, 'made with the enrollment, due then')
  const windowRow = made.get(windowed)
  t.match(windowRow, { step: 0, status: 'pending', on_enrollment: false, next_due_at: null }, 'made by the tick at the window opening')
  t.ok((windowRow?.due_at?.getTime() ?? 0) > Date.now(), 'due when the window opens')
  t.match(made.get(later), { step: null, due_at: null }, 'a delayed message is made when it falls due')
  t.ok((made.get(later)?.next_due_at?.getTime() ?? 0) > Date.now() + 29 * 60_000)

  const { rows: [campaign] } = await app.ctx.pool.query('select enrollment_pending, leads_enrolled from campaigns where id = $1', [now])
  t.same(campaign, { enrollment_pending: false, leads_enrolled: 1 }, 'the run ended in its chunk')
})

t.test('the tick skips phoneless and stale deliveries whether the client has few or many leads without a phone', async t => {
  const app = await buildTestApp(t, { env: { DELIVERY_STALE_AFTER_SECONDS: '3600' } })
  const few = await app.createClient('few')
  const many = await app.createClient('many')
  for (const client of [few, many]) {
    await seedLeads(app, client.headers, [{ externalId: 'nophone', tags: ['x'] }, { externalId: 'late', tags: ['x'], phone: '+15551230001' } as never, { externalId: 'fine', tags: ['x'], phone: '+15551230002' } as never])
  }
  // 1,000 more leads without a phone, none targeted: the phoneless ones are found from the deliveries.
  await app.ctx.pool.query(`insert into leads (client_id, external_id, first_name) select $1, 'idle-' || g, 'Idle' from generate_series(1, 1000) g`, [many.id])
  const messages = [{ body: 'Hi', delayMinutes: 0 }, { body: 'Bye', delayMinutes: 1440 }]
  const campaigns = [await dueCampaign(app, few.headers, 'x', { messages }), await dueCampaign(app, many.headers, 'x', { messages })]
  const first = await tick(app)
  t.equal(first.activated.length, 2)
  const skipped = async () => (await app.ctx.pool.query(`
    select l.client_id, l.external_id, d.step, d.status, d.skip_reason from deliveries d join leads l on l.id = d.lead_id
    where d.status = 'skipped' order by 1, 2, 3`)).rows
  t.same((await skipped()).map(r => [r.client_id, r.external_id, r.step, r.skip_reason]), [few.id, many.id].sort().map(id => [id, 'nophone', 0, 'no_phone']))

  // Message 0 of 'late' left unsent past the stale limit; message 1 of 'nophone' falls due.
  await app.ctx.pool.query(`update deliveries d set due_at = now() - interval '2 hours' from leads l where l.id = d.lead_id and l.external_id = 'late'`)
  await app.ctx.pool.query(`update enrollments e set next_due_at = now() - interval '1 second' from leads l where l.id = e.lead_id and l.external_id = 'nophone'`)
  const second = await tick(app)
  t.equal(second.enrollmentsCompleted, 2, 'the phoneless leads skipped their last message')
  const rows = await skipped()
  for (const client of [few, many]) {
    t.same(rows.filter(r => r.client_id === client.id).map(r => [r.external_id, r.step, r.skip_reason]),
      [['late', 0, 'stale'], ['nophone', 0, 'no_phone'], ['nophone', 1, 'no_phone']], client.id === few.id ? 'few' : 'many')
  }
  const { rows: open } = await app.ctx.pool.query(`select l.external_id from deliveries d join leads l on l.id = d.lead_id where d.status = 'pending' and d.campaign_id = any($1) order by 1`, [campaigns])
  t.same(open.map(r => r.external_id), ['fine', 'fine'], 'a due delivery with a phone waits for its sender')
})
