import t from 'tap'
import { runIdempotent } from '../../src/idempotency/idempotency.js'
import { buildTestApp } from '../helpers/app.js'
import { postCampaign } from '../helpers/campaigns.js'

// What a failed attempt leaves behind must lead its retry back to what it committed.

t.test('an attempt that committed its resource and then failed is retried onto the same resource id', async t => {
  const app = await buildTestApp(t)
  const { id: clientId } = await app.createClient()
  const claim = { clientId, scope: 'test', key: 'k', body: { a: 1 } }
  const seen: string[] = []
  // The first attempt "commits" (records its id) and then fails, as a create does when the
  // database goes away after its campaign committed.
  await t.rejects(runIdempotent(app.ctx.db, claim, async resourceId => { seen.push(resourceId); throw new Error('connection lost') }))
  const retry = await runIdempotent(app.ctx.db, claim, async resourceId => { seen.push(resourceId); return { status: 201, body: { id: resourceId } } })
  t.equal(retry.status, 201, 'the released key is taken over at once')
  t.equal(seen[1], seen[0], 'the retry gets the resource id of the failed attempt')
  const replay = await runIdempotent(app.ctx.db, claim, async () => { throw new Error('not run again') })
  t.match(replay, { replayed: true, body: { id: seen[0] } })
})

t.test('a create whose answer could not be stored is answered with its campaign on retry, never a second one', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  // The campaign commits; then the statement storing the answer fails (as when the database goes away).
  await app.ctx.pool.query(`
    create function fail_done() returns trigger language plpgsql as $$
    begin if new.state = 'done' and new.key = 'flaky' then raise exception 'connection lost' using errcode = '08006'; end if; return new; end $$;
    create trigger fail_done before update on idempotency_keys for each row execute function fail_done()`)
  const body = { name: 'Once', startAt: '2999-01-01T00:00:00Z' }
  const first = await postCampaign(app, headers, body, { 'idempotency-key': 'flaky' })
  t.equal(first.statusCode, 503, first.body)
  await app.ctx.pool.query('drop trigger fail_done on idempotency_keys')
  const retry = await postCampaign(app, headers, body, { 'idempotency-key': 'flaky' })
  t.equal(retry.statusCode, 201, retry.body)
  const { rows } = await app.ctx.pool.query<{ id: string }>("select id from campaigns where name = 'Once'")
  t.equal(rows.length, 1, 'one campaign')
  t.equal(retry.json().id, rows[0]?.id)
})
