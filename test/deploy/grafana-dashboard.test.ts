import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import { CRON_SECRET, buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { readText, readYaml } from '../helpers/deploy-files.js'
import { scrape } from '../helpers/metrics-text.js'
import { metricNames } from '../helpers/promql.js'
import { seedLeads } from '../helpers/seed.js'
import { azureEnv, startAzureStandIn } from '../stand-ins/azure-openai.js'

interface Target { refId: string, expr: string, datasource?: { uid?: string } }
interface Panel { id: number, type: string, title: string, gridPos: { x: number, y: number, w: number, h: number }, datasource?: { uid?: string }, targets?: Target[], panels?: Panel[] }
interface Dashboard { uid: string, title: string, panels: Panel[], templating: { list: Array<{ name: string, type: string, query?: unknown }> } }

const dashboard = JSON.parse(readText('deploy/monitoring/grafana-dashboard.json')) as Dashboard
const panels = dashboard.panels.flatMap(panel => [panel, ...(panel.panels ?? [])])
const queryPanels = panels.filter(panel => panel.type !== 'row')
const exprs = queryPanels.flatMap(panel => (panel.targets ?? []).map(target => ({ panel: panel.title, expr: target.expr })))
const alertExprs = (readYaml('deploy/monitoring/alerts.yaml')[0] as { groups: Array<{ rules: Array<{ alert: string, expr: string }> }> })
  .groups.flatMap(group => group.rules).map(rule => ({ panel: `alert ${rule.alert}`, expr: rule.expr }))

t.test('a Grafana dashboard with a Prometheus datasource variable and well-formed panels', async t => {
  t.equal(dashboard.uid, 'campaign-service')
  t.ok(dashboard.templating.list.some(variable => variable.name === 'datasource' && variable.type === 'datasource' && variable.query === 'prometheus'), 'a datasource variable, so it imports into any Grafana')
  t.equal(new Set(panels.map(panel => panel.id)).size, panels.length, 'panel ids are unique')
  for (const panel of queryPanels) {
    t.ok((panel.targets ?? []).length > 0, `${panel.title}: has queries`)
    t.equal(panel.datasource?.uid, '${datasource}', `${panel.title}: uses the datasource variable`)
    t.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24 && panel.gridPos.h > 0, `${panel.title}: fits the 24-column grid`)
    t.equal(new Set((panel.targets ?? []).map(target => target.refId)).size, panel.targets?.length, `${panel.title}: refIds are unique`)
  }
})

t.test('the panels the issue lists are there', async t => {
  const titles = queryPanels.map(panel => panel.title).join('\n')
  for (const wanted of [/Enrollment runs/, /Leads enrolled/, /Enrollment run duration/, /Partial enrollments/, /Last successful tick/, /Tick duration/, /Deliveries by outcome/, /Oldest due delivery/,
    /Inbound messages/, /Sync queue/, /Failures kept/, /Tokens/, /Fallback/, /Requests by status/, /Latency/, /5xx/]) t.match(titles, wanted)
})

t.test('every metric a panel or an alert reads is served by /metrics of a running app', async t => {
  const standIn = await startAzureStandIn(t)
  const app = await buildTestApp(t, { env: azureEnv(standIn, { GENERATE_DAILY_TOKEN_BUDGET: '100000' }) })
  // Enough traffic that labelled series exist: enrollment with a cap stop, a tick, a generation.
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [{ externalId: 'a', tags: ['x'] }, { externalId: 'b', tags: ['x'] }])
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 1 })
  t.equal((await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })).statusCode, 200)
  t.equal((await app.api.inject({ method: 'POST', url: '/v1/messages/generate', headers, payload: { prompt: 'Hello' } })).statusCode, 200)
  t.equal((await app.api.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)

  const metrics = await scrape(app)
  const served = new Set(metrics.samples.map(sample => sample.name))
  // A labelled family with no series yet (no Airtable retry happened) is still registered: its
  // # TYPE line names it, and a histogram's series carry the suffixes.
  const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_count', '_sum'], summary: ['', '_count', '_sum'] }
  for (const [family, type] of metrics.types) for (const suffix of SUFFIXES[type] ?? ['']) served.add(family + suffix)
  const used = [...exprs, ...alertExprs].flatMap(({ panel, expr }) => metricNames(expr).map(name => ({ panel, name })))
  t.ok(used.length >= queryPanels.length, `${used.length} metric references`)
  for (const { panel, name } of used) t.ok(served.has(name), `${panel}: ${name} is served`)
  const withoutSeries = [...new Set(used.map(use => use.name))].filter(name => !metrics.samples.some(sample => sample.name === name))
  if (withoutSeries.length > 0) t.comment(`registered, no series yet in this run: ${withoutSeries.join(', ')}`)
})

t.test('every panel query parses as PromQL (promtool)', { skip: spawnSync('promtool', ['--version']).error !== undefined ? 'promtool is not installed (apt-get install prometheus)' : false }, async t => {
  // Grafana's variables replaced by what they expand to, each query a recording rule to check.
  const rules = exprs.map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*') }))
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(path.join(dir, 'queries.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }))
  const run = spawnSync('promtool', ['check', 'rules', path.join(dir, 'queries.yaml')], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`))
})
