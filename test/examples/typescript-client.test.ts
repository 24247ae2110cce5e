import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { runTour } from '../../examples/typescript-client/tour.js'
import { CLIENT_TYPES_FILE, OPENAPI_FILE, renderClientTypes } from '../../scripts/render-openapi.js'
import { buildTestApp } from '../helpers/app.js'
import { documentChecker, recordFetches } from '../helpers/openapi-responses.js'

t.test('the committed client types are what openapi-typescript generates from openapi.yaml', async t => {
  t.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), await renderClientTypes(readFileSync(OPENAPI_FILE, 'utf8')), 'run `npm run openapi:client` and commit the result')
})

t.test('the typed client tour runs against a listening server', async t => {
  const app = await buildTestApp(t)
  const client = await app.createClient('Tour')
  const baseUrl = await app.api.listen({ port: 0, host: '127.0.0.1' })

  const { result: seen, exchanges } = await recordFetches(async () => await runTour(baseUrl, client.apiKey))
  const check = documentChecker()
  t.same(exchanges.map(e => `${e.method} ${e.status}`), ['post 200', 'post 200', 'post 201', 'get 200', 'get 200', 'post 200', 'post 200', 'post 200', 'post 200', 'get 200'])
  t.same(exchanges.flatMap(check), [], 'every answer the client got is what openapi.yaml documents')
  t.not(check({ method: 'post', path: '/v1/campaigns', status: 201, contentType: 'application/json', body: { ...seen.campaign, leadsEnrolled: 'two' } }).length, 0, 'the check can fail')
  t.same(seen.imported, { created: 3, updated: 0, unchanged: 0 })
  t.match(seen.preview, { totalMatching: 2, wouldEnroll: 2, excluded: { optedOut: 0, activeElsewhere: 0 } })
  t.same(seen.preview.sample.map(lead => lead.firstName), ['Ann', 'Bob'], 'the sample in cap order: highest icpScore first')
  t.match(seen.campaign, { status: 'active', leadsEnrolled: 2, enrollment: { totalMatching: 2, enrolled: 2 } })
  t.equal(seen.enrollments.length, 2)
  t.equal(seen.enrollmentPages, 2, 'one enrollment per page, and the second page ends the walk')
  t.same(new Set(seen.enrollments.map(e => e.leadId)), new Set(seen.preview.sample.map(lead => lead.id)))
  t.same(seen.claimed.map(d => [d.status, d.step, d.attempts]), [['leased', 0, 1], ['leased', 0, 1]])
  t.same(new Set(seen.claimed.map(d => d.body)), new Set(['Hi Ann, welcome aboard!', 'Hi Bob, welcome aboard!']))
  t.match(seen.sent, { status: 'sent', to: '+12133734253', providerMessageId: /^SM-/ })
  t.same(seen.batch, { applied: 1, unchanged: 0, conflicts: [], notFound: [] })
  t.match(seen.stop, { action: 'opted_out', stoppedEnrollments: 1 })
  t.equal(seen.stop.leadIds.length, 1)
  t.match(seen.stats, { enrollments: { active: 1, completed: 0, stopped: 1 }, stopReasons: { opted_out: 1 }, optOuts: 1 })
  t.match(seen.stats.steps[0], { step: 0, sent: 1, pending: 1, leased: 0 })

  // What the server holds afterwards, read apart from the example.
  const deliveries = await app.api.inject({ method: 'GET', url: `/v1/deliveries?campaignId=${seen.campaign.id}`, headers: client.headers })
  const byStatus = Object.fromEntries(deliveries.json().data.map((d: { status: string }) => [d.status, d]))
  t.match(byStatus.sent, { leadId: seen.sent.leadId, providerMessageId: seen.sent.providerMessageId })
  t.match(byStatus.pending, { attempts: 1, error: 'carrier busy' }, 'the failed one waits for its retry')
  const ann = await app.api.inject({ method: 'GET', url: `/v1/leads/${seen.sent.leadId}`, headers: client.headers })
  t.match(ann.json(), { id: seen.stop.leadIds[0], optedOut: true, optOutSource: 'inbound' })

  // The CLI entry for humans runs the tour again on the same client: a run's leads are its own.
  const cli = await runCli({ BASE_URL: baseUrl, KEY: client.apiKey })
  t.equal(cli.code, 0, cli.stderr)
  t.match(JSON.parse(cli.stdout), { imported: { created: 3 }, campaign: { leadsEnrolled: 2 }, stop: { action: 'opted_out', stoppedEnrollments: 1 } })
  const noKey = await runCli({ BASE_URL: baseUrl })
  t.equal(noKey.code, 1)
  t.match(noKey.stderr, /Set KEY/)
})

async function runCli (env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/typescript-client/tour.ts'], { env: { PATH: process.env.PATH ?? '', ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}
