import t from 'tap'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { postCampaign } from '../helpers/campaigns.js'
import { holdClientLock, lockWaiter } from '../helpers/locks.js'
import { seedLeads } from '../helpers/seed.js'

const count = async (app: Awaited<ReturnType<typeof buildTestApp>>, table: 'campaigns' | 'enrollments'): Promise<number> =>
  (await app.ctx.pool.query(`select count(*)::int as n from ${table}`)).rows[0].n

t.test('a retry with the same Idempotency-Key returns the first response and does nothing twice', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }])
  const body = { name: 'Once', targeting: { tags: ['x'] }, maxLeadsToEnroll: 1 }
  const first = await postCampaign(app, headers, body, { 'idempotency-key': 'k-1' })
  t.equal(first.statusCode, 201)
  // A lead arriving between the two calls must not change the replay.
  await seedLeads(app, headers, [{ externalId: 'c', tags: ['x'], icpScore: 100 }])
  const retry = await postCampaign(app, headers, body, { 'idempotency-key': 'k-1' })
  t.equal(retry.statusCode, 201)
  t.same(retry.json(), first.json(), 'the stored first response, byte for byte')
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(await count(app, 'campaigns'), 1)
  t.equal(await count(app, 'enrollments'), 1)

  const reordered = await postCampaign(app, headers, { maxLeadsToEnroll: 1, targeting: { tags: ['x'] }, name: 'Once' }, { 'idempotency-key': 'k-1' })
  t.equal(reordered.json().id, first.json().id, 'key order in the body does not matter')

  const other = await postCampaign(app, headers, { ...body, name: 'Different' }, { 'idempotency-key': 'k-1' })
  t.equal(other.statusCode, 422, 'same key, other body')
  t.match(other.headers['content-type'], /application\/problem\+json/)
  t.equal(await count(app, 'campaigns'), 1)

  // Keys belong to a client: another client's identical key is a new request.
  const stranger = await app.createClient()
  const theirs = await postCampaign(app, stranger.headers, body, { 'idempotency-key': 'k-1' })
  t.equal(theirs.statusCode, 201)
  t.not(theirs.json().id, first.json().id)

  const fresh = await postCampaign(app, headers, body, { 'idempotency-key': 'k-2' })
  t.not(fresh.json().id, first.json().id, 'a new key is a new campaign')
  const without = await postCampaign(app, headers, body)
  t.not(without.json().id, fresh.json().id, 'no key: no deduplication')
  t.equal(await count(app, 'campaigns'), 4)
})

t.test('a failed first attempt releases its key', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const bad = await postCampaign(app, headers, { targeting: { icpScore: { min: 9, max: 1 } } }, { 'idempotency-key': 'k' })
  t.equal(bad.statusCode, 400)
  const good = await postCampaign(app, headers, { targeting: { icpScore: { min: 9, max: 1 } } }, { 'idempotency-key': 'k' })
  t.equal(good.statusCode, 400, 'the same (bad) body is not replayed from a stored error')
  const ok = await postCampaign(app, headers, { targeting: { icpScore: { min: 1, max: 9 } } }, { 'idempotency-key': 'k' })
  t.equal(ok.statusCode, 201, 'after a failure the key is free for a corrected body')
})

for (const instances of [1, 2]) {
  t.test(`copies arriving together create exactly one campaign (${instances} instance(s))`, async t => {
    const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '5' } })
    const second = instances === 2 ? await buildTestApp(t, { databaseUrl: app.databaseUrl, env: { ENROLLMENT_CHUNK_SIZE: '5' } }) : app
    const { headers } = await app.createClient()
    await seedLeads(app, headers, Array.from({ length: 40 }, (_, i) => ({ externalId: `l${i}`, tags: ['x'] })))
    const body = { name: 'Burst', targeting: { tags: ['x'] } }
    const responses = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      await postCampaign(i % 2 === 0 ? app : second, headers, body, { 'idempotency-key': 'burst' })))
    const created = responses.filter(r => r.statusCode === 201)
    t.ok(created.length >= 1, 'at least one answer carries the campaign')
    t.same(new Set(created.map(r => r.json().id)).size, 1, 'every 201 names the same campaign')
    t.ok(responses.every(r => r.statusCode === 201 || r.statusCode === 409), `only 201 or 409: ${responses.map(r => r.statusCode).join(',')}`)
    t.ok(responses.every(r => r.statusCode === 201 || r.headers['retry-after'] === '1'), 'a 409 says when to retry')
    t.equal(await count(app, 'campaigns'), 1, 'exactly one campaign exists')
    t.equal(await count(app, 'enrollments'), 40)
    const after = await postCampaign(second, headers, body, { 'idempotency-key': 'burst' })
    t.equal(after.statusCode, 201)
    t.equal(after.json().id, created[0]?.json().id, 'once done, every copy is the replay')
  })
}

t.test('a create whose enrollment breaks off answers with the campaign: a retry replays it, never a second one', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }])
  // The first chunk waits for the client lock; its statement is then cancelled.
  const lock = await holdClientLock(t, app, clientId)
  const body = { name: 'Interrupted', targeting: { tags: ['x'] } }
  const creating = Promise.resolve(postCampaign(app, headers, body, { 'idempotency-key': 'broken' }))
  const waiting = await lockWaiter(app)
  t.ok(waiting, 'the chunk waits for the client lock')
  await app.ctx.pool.query('select pg_cancel_backend($1)', [waiting])
  const first = await creating
  t.equal(first.statusCode, 201, first.body)
  t.match(first.json(), { status: 'active', enrollmentPending: true, enrollment: { totalMatching: 2, enrolled: 0 }, warning: { reason: 'timeout', remaining: 2 } })
  await lock.release()
  const retry = await postCampaign(app, headers, body, { 'idempotency-key': 'broken' })
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.json().id, first.json().id)
  t.equal(await count(app, 'campaigns'), 1, 'one campaign')
  const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  t.match(tick.json(), { continued: [{ campaignId: first.json().id, enrolled: 2 }] }, 'the tick finishes what broke off')
})

t.test('the activation tick purges keys past their 24 h, and only those', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await postCampaign(app, headers, { name: 'old' }, { 'idempotency-key': 'old' })
  await postCampaign(app, headers, { name: 'new' }, { 'idempotency-key': 'new' })
  await app.ctx.pool.query("update idempotency_keys set created_at = now() - interval '25 hours' where key = 'old'")
  const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  t.equal(tick.statusCode, 200)
  const { rows } = await app.ctx.pool.query('select key from idempotency_keys order by key')
  t.same(rows.map(r => r.key), ['new'])
})

t.test('a key left running by an attempt that never answered is taken over without a second campaign', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }])
  for (const body of [{ name: 'Now', targeting: { tags: ['x'] } }, { name: 'Later', startAt: '2999-01-01T00:00:00Z' }]) {
    const key = `stuck-${body.name}`
    const first = await postCampaign(app, headers, body, { 'idempotency-key': key })
    t.equal(first.statusCode, 201)
    // As if the answer was never stored (the database went away after the campaign committed)
    // and more than 2 minutes passed: the key is running and abandoned.
    await app.ctx.pool.query("update idempotency_keys set state = 'running', response_status = null, response_body = null, created_at = now() - interval '11 minutes' where key = $1", [key])
    const again = await postCampaign(app, headers, body, { 'idempotency-key': key })
    t.equal(again.statusCode, 201, again.body)
    t.equal(again.json().id, first.json().id, `${body.name}: the campaign the first attempt made`)
  }
  t.equal(await count(app, 'campaigns'), 2, 'no second campaign for either key')
  t.equal(await count(app, 'enrollments'), 1)
})
