import type { AddressInfo } from 'node:net'
import t from 'tap'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { runCli } from '../helpers/run-cli.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'

// `cli activate` against the real internal listener on a real database: the contract between the
// CronJob's command and the endpoint, end to end.
t.test('activates every due campaign over several calls, then exits 0', async t => {
  const app = await buildTestApp(t, { env: { ACTIVATION_BATCH_SIZE: '2' } })
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }])
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: `scheduled ${i}`, messages: oneMessage, startAt: '2999-01-01T00:00:00Z', targeting: { tags: ['x'] }, maxLeadsToEnroll: 1 } })
    t.equal(created.statusCode, 201)
    ids.push(created.json<{ id: string }>().id)
  }
  await app.ctx.pool.query('update campaigns set start_at = now() - interval \'1 minute\' where id = any($1)', [ids])
  await app.internal.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.internal.server.address() as AddressInfo).port}`

  const run = await runCli(['activate', '--url', baseUrl], { CRON_SECRET })
  t.equal(run.code, 0, run.stderr)
  t.match(run.lines, [{ call: 1, status: 200, activated: 2, enrolled: 2, remaining: 1 }, { call: 2, activated: 1, enrolled: 0, remaining: 0 }], 'two leads, three campaigns capped at one each: the third finds nobody free')
  t.equal(run.lines.length, 2)
  const { rows } = await app.ctx.pool.query<{ status: string }>('select status from campaigns where id = any($1)', [ids])
  t.same(rows.map(row => row.status), ['active', 'active', 'active'])

  const again = await runCli(['activate', '--url', baseUrl], { CRON_SECRET })
  t.equal(again.code, 0)
  t.match(again.lines, [{ call: 1, activated: 0, remaining: 0 }], 'nothing due: one call')

  const wrong = await runCli(['activate', '--url', baseUrl], { CRON_SECRET: 'a-different-secret-0123456789' })
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /answered 401/)
})
