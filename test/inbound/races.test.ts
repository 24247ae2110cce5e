import t from 'tap'
import { clientLockKey } from '../../src/db/locks.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { lockWaiter } from '../helpers/locks.js'
import { enrollmentsOf, leadsWithPhones, postInbound } from './helpers.js'

t.test('a STOP arriving while an enrollment chunk holds the client lock waits, then stops what the chunk enrolled', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  const { a } = await leadsWithPhones(app, headers, [{ externalId: 'a', phone: '+12133734253' }])
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['later'] } })

  // A chunk in flight: the client lock held, the lead's enrollment inserted, not yet committed.
  const chunk = await app.ctx.pool.connect()
  t.teardown(() => { chunk.release() })
  await chunk.query('begin')
  await chunk.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [clientLockKey(clientId)])
  await chunk.query(`insert into enrollments (campaign_id, lead_id, client_id, completes_at, next_step, next_due_at)
    values ($1, $2, $3, now() + interval '1 day', 0, now())`, [campaign.id, a, clientId])

  const stop = postInbound(app, headers, { from: '+12133734253', body: 'STOP' })
  t.ok(await lockWaiter(app) !== undefined, 'the STOP waits for the client lock')
  await chunk.query('commit')
  const answer = (await stop).json()
  t.match(answer, { action: 'opted_out', leadIds: [a], stoppedEnrollments: 1 }, 'it stops the enrollment committed before it')
  t.match(await enrollmentsOf(app, headers, campaign.id), [{ leadId: a, status: 'stopped', stopReason: 'opted_out' }])
})
