import { Writable } from 'node:stream'
import t from 'tap'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { createCampaign, postCampaign, topUp } from '../helpers/campaigns.js'
import { scrape } from '../helpers/metrics-text.js'
import { oneMessage, seedLeads } from '../helpers/seed.js'
import { azureEnv, startAzureStandIn } from '../stand-ins/azure-openai.js'

const collectLines = () => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done() } })
  return { lines, stream }
}

t.test('enrollment runs, partial stops, campaigns and ticks are on /metrics and logged once per run', async t => {
  // One lead per chunk and a 1 ms budget: every run stops after its first chunk.
  const { lines, stream } = collectLines()
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '1', ENROLLMENT_TIME_BUDGET_MS: '1', LOG_LEVEL: 'info' }, logTo: stream })
  const before = await scrape(app)
  t.equal(before.types.get('enrollment_run_duration_seconds'), 'histogram')
  t.equal(before.types.get('enrollment_leads_enrolled_total'), 'counter')
  t.equal(before.types.get('enrollment_partial_total'), 'counter')
  t.equal(before.types.get('activation_ticks_total'), 'counter')
  t.equal(before.types.get('activation_last_success_timestamp_seconds'), 'gauge')
  t.equal(before.types.get('campaigns'), 'gauge')
  for (const reason of ['enrollment_cap', 'timeout']) t.equal(before.value('enrollment_partial_total', { reason }), 0, `${reason} is there at 0 before any run`)
  t.equal(before.value('enrollment_run_duration_seconds_count', { trigger: 'top_up' }), 0)
  t.equal(before.value('activation_last_success_timestamp_seconds'), 0)

  const { headers } = await app.createClient()
  await seedLeads(app, headers, [
    { externalId: 'x1', tags: ['x'] }, { externalId: 'x2', tags: ['x'] }, { externalId: 'x3', tags: ['x'] },
    { externalId: 'y1', tags: ['y'] }, { externalId: 'y2', tags: ['y'] }, { externalId: 'z1', tags: ['z'] }
  ])
  const capped = await createCampaign(app, headers, { targeting: { tags: ['y'] }, maxLeadsToEnroll: 1 })
  t.equal(capped.warning.reason, 'enrollment_cap')
  const created = await postCampaign(app, headers, { targeting: { tags: ['x'] } }, { 'x-request-id': 'obs-create-1' })
  t.equal(created.json().warning.reason, 'timeout')
  const campaignId = created.json().id as string
  t.equal((await topUp(app, headers, campaignId)).json().warning?.reason, 'timeout', 'the top-up stopped on its budget too')
  const scheduled = (await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: 's', messages: oneMessage, startAt: '2999-01-01T00:00:00Z', targeting: { tags: ['z'] } } })).json().id as string
  await app.ctx.pool.query('update campaigns set start_at = now() - interval \'1 minute\' where id = $1', [scheduled])
  const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}`, 'x-request-id': 'obs-tick-1' } })
  t.equal(tick.statusCode, 200)
  t.match(tick.json(), { activated: [{ campaignId: scheduled, enrolled: 1 }], continued: [{ campaignId }] })

  const after = await scrape(app)
  const runs = (trigger: string) => after.value('enrollment_run_duration_seconds_count', { trigger })
  const enrolled = (trigger: string) => after.value('enrollment_leads_enrolled_total', { trigger })
  t.same([runs('create'), runs('top_up'), runs('activation'), runs('continuation')], [2, 1, 1, 1], 'runs by trigger')
  t.same([enrolled('create'), enrolled('top_up'), enrolled('activation'), enrolled('continuation')], [2, 1, 1, 1], 'leads enrolled by trigger')
  t.equal(after.value('enrollment_partial_total', { reason: 'enrollment_cap' }), 1)
  t.equal(after.value('enrollment_partial_total', { reason: 'timeout' }), 2, 'the x campaign\'s create and top-up; the tick enrolled the rest')
  t.ok((after.value('enrollment_run_duration_seconds_sum', { trigger: 'create' }) ?? 0) > 0)
  t.equal(after.value('campaigns', { status: 'active' }), 3)
  t.equal(after.value('campaigns', { status: 'scheduled' }), 0)
  t.equal(after.value('activation_ticks_total', { outcome: 'success' }), 1)
  const last = after.value('activation_last_success_timestamp_seconds') ?? 0
  t.ok(last > Date.now() / 1000 - 60 && last <= Date.now() / 1000 + 1, 'the last success is now')

  const runLines = lines.filter(line => line.msg === 'enrollment run')
  t.equal(runLines.length, 5, 'one line per run')
  t.match(runLines.find(line => line.campaignId === campaignId && line.trigger === 'create'), {
    level: 30, reqId: 'obs-create-1', enrolled: 1, totalMatching: 3, reason: 'timeout', durationMs: Number
  })
  t.match(runLines.find(line => line.trigger === 'activation'), { reqId: 'obs-tick-1', campaignId: scheduled, enrolled: 1, reason: null })
  t.match(lines.find(line => line.msg === 'activation tick'), { reqId: 'obs-tick-1', activated: 1, continued: 1, durationMs: Number })
})

t.test('a failing tick is counted and leaves the last-success time alone', async t => {
  const app = await buildTestApp(t)
  await app.ctx.pool.query('alter table campaigns rename to campaigns_away')
  const tick = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  t.equal(tick.statusCode, 500)
  const metrics = await scrape(app)
  t.equal(metrics.value('activation_ticks_total', { outcome: 'failure' }), 1)
  t.equal(metrics.value('activation_ticks_total', { outcome: 'success' }), 0)
  t.equal(metrics.value('activation_last_success_timestamp_seconds'), 0)
})

t.test('token budget use: the highest ratio without client ids, per client only when opted in', async t => {
  const standIn = await startAzureStandIn(t)
  for (const perClient of [false, true]) {
    const app = await buildTestApp(t, { env: azureEnv(standIn, { GENERATE_DAILY_TOKEN_BUDGET: '1000', METRICS_CLIENT_LABELS: String(perClient) }) })
    const one = await app.createClient('one')
    const two = await app.createClient('two')
    const generate = async (headers: Record<string, string>) => await app.api.inject({ method: 'POST', url: '/v1/messages/generate', headers, payload: { prompt: 'Hello' } })
    t.equal((await generate(one.headers)).statusCode, 200)
    t.equal((await generate(one.headers)).statusCode, 200)
    t.equal((await generate(two.headers)).statusCode, 200)
    const metrics = await scrape(app)
    // The stand-in bills 180 tokens per answer: client one used 360 of 1000.
    t.equal(metrics.value('message_generation_token_budget_max_used_ratio'), 0.36, `max ratio (per client ${String(perClient)})`)
    const labelled = metrics.samples.filter(sample => 'client_id' in sample.labels)
    if (!perClient) t.same(labelled, [], 'no client id in any label by default')
    else t.same(labelled.map(sample => [sample.labels.client_id, sample.value]).sort(), [[one.id, 0.36], [two.id, 0.18]].sort())
  }
})

t.test('metrics: request latency histogram and pool gauges on the internal listener', async t => {
  const app = await buildTestApp(t)
  await app.api.inject({ method: 'GET', url: '/readyz' })
  const metrics = await app.internal.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /http_request_duration_seconds_bucket\{.*listener="public",method="GET",route="\/readyz",status="200"/)
  t.match(metrics.body, /db_pool_connections\{state="total"\}/)
})
