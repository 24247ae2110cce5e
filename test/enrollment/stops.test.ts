import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, enrolledExternalIds, leadIdsOf, topUp } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

t.test('completesAt = enrolledAt + the sum of the delays', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '2' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, Array.from({ length: 5 }, (_, i) => ({ externalId: `l${i}` })))
  const messages = [{ body: 'a', delayMinutes: 0 }, { body: 'b', delayMinutes: 60 }, { body: 'c', delayMinutes: 1440 }, { body: 'd', delayMinutes: 7 }]
  const campaign = await createCampaign(app, headers, { messages })
  const response = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/enrollments`, headers })
  const enrollments = response.json().data
  t.equal(enrollments.length, 5)
  for (const e of enrollments) {
    t.equal(e.status, 'active')
    t.equal(Date.parse(e.completesAt) - Date.parse(e.enrolledAt), 1507 * 60_000, `${e.leadId}: 1507 minutes`)
    t.ok(Math.abs(Date.parse(e.enrolledAt) - Date.now()) < 600_000, 'enrolledAt is the enrollment time')
  }
})

t.test('opting a lead out stops its active enrollments at once (PATCH and bulk import)', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [
    { externalId: 'patched', tags: ['x'] }, { externalId: 'imported', tags: ['x'] }, { externalId: 'kept', tags: ['x'] }, { externalId: 'kept-2', tags: ['x'] }
  ])
  const ids = await leadIdsOf(app, clientId)
  const campaign = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  t.equal(campaign.leadsEnrolled, 4)

  const patch = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('patched')}`, headers, payload: { optedOut: true } })
  t.equal(patch.statusCode, 200)
  t.same(await enrolledExternalIds(app, campaign.id, 'stopped'), ['patched'])

  // A bulk update of another field leaves enrollments alone; optedOut:true stops them.
  await seedLeads(app, headers, [{ externalId: 'kept', tags: ['x', 'y'] }, { externalId: 'imported', optedOut: true }, { externalId: 'kept-2', optedOut: false }])
  t.same(await enrolledExternalIds(app, campaign.id, 'stopped'), ['imported', 'patched'])
  t.same(await enrolledExternalIds(app, campaign.id, 'active'), ['kept', 'kept-2'])
  const { rows } = await app.ctx.pool.query("select ended_at is not null as ended from enrollments where status = 'stopped'")
  t.same(rows.map(r => r.ended), [true, true], 'stopped enrollments carry an end time')

  const read = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}`, headers })
  t.equal(read.json().leadsEnrolled, 4, 'leadsEnrolled counts the enrollments made, stopped ones included')
  t.same((await topUp(app, headers, campaign.id)).json(), { enrolled: 0, totalMatching: 0, leadsEnrolled: 4 }, 'opted-out leads never come back')

  // Opt-out of an already opted-out lead, or of one with no enrollment, is harmless.
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.get('patched')}`, headers, payload: { optedOut: true } })).statusCode, 200)
})

t.test('cancel: an active campaign stops its enrollments; a scheduled one never activates', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }, { externalId: 'c', tags: ['y'] }])
  const active = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
  const other = await createCampaign(app, headers, { targeting: { tags: ['y'] } })
  const cancelled = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${active.id}/cancel`, headers })
  t.equal(cancelled.statusCode, 200)
  t.match(cancelled.json(), { id: active.id, status: 'cancelled', leadsEnrolled: 2, enrollmentPending: false })
  t.ok(cancelled.json().endedAt, 'endedAt set')
  t.same(await enrolledExternalIds(app, active.id, 'stopped'), ['a', 'b'])
  t.same(await enrolledExternalIds(app, other.id, 'active'), ['c'], 'other campaigns keep their enrollments')

  const again = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${active.id}/cancel`, headers })
  t.equal(again.statusCode, 200, 'cancelling twice is harmless')
  t.equal(again.json().status, 'cancelled')
  t.equal((await topUp(app, headers, active.id)).statusCode, 409, 'a cancelled campaign enrolls nobody')

  const scheduled = await createCampaign(app, headers, { targeting: { tags: ['x'] }, startAt: new Date(Date.now() + 3600_000).toISOString() })
  const cancel = await app.api.inject({ method: 'POST', url: `/v1/campaigns/${scheduled.id}/cancel`, headers })
  t.match(cancel.json(), { status: 'cancelled', leadsEnrolled: 0, activatedAt: null })
  t.same(await enrolledExternalIds(app, scheduled.id), [])
  const { rows } = await app.ctx.pool.query('select status, start_at is not null as has_start from campaigns where id = $1', [scheduled.id])
  t.same(rows[0], { status: 'cancelled', has_start: true }, 'stays cancelled: the activation tick only takes scheduled campaigns')
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/campaigns/${scheduled.id}`, headers, payload: { name: 'n' } })).statusCode, 409)
})
