import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { readText, readYaml, ROOT } from '../helpers/deploy-files.js'

interface Service {
  image?: string
  build?: unknown
  profiles?: string[]
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
}
const compose = readYaml('docker-compose.yml')[0] as { services: Record<string, Service>, volumes?: Record<string, unknown> }
const services = compose.services
const prometheus = services.prometheus as Service
const grafana = services.grafana as Service

/** Bind mounts of a service: container path → repository path (named volumes left out). */
function bindMounts (service: Service): Map<string, string> {
  const mounts = new Map<string, string>()
  for (const volume of service.volumes ?? []) {
    const [source = '', target = ''] = volume.split(':')
    if (source.startsWith('./')) mounts.set(target, path.normalize(source))
  }
  return mounts
}
/** The repository file a container path comes from, through a file or a directory mount. */
function hostPathOf (service: Service, containerPath: string): string | undefined {
  for (const [target, source] of bindMounts(service)) {
    if (containerPath === target) return source
    if (containerPath.startsWith(target + '/')) return path.join(source, containerPath.slice(target.length + 1))
  }
  return undefined
}

t.test('Prometheus and Grafana join only with --profile monitoring', async t => {
  t.same(prometheus.profiles, ['monitoring'])
  t.same(grafana.profiles, ['monitoring'])
  for (const [name, service] of Object.entries(services).filter(([name]) => name !== 'prometheus' && name !== 'grafana')) {
    t.notOk(service.profiles, `${name} runs without a profile, as before`)
  }
  t.match(prometheus.image, /^prom\/prometheus:v\d+\.\d+\.\d+$/, 'a pinned Prometheus')
  t.match(grafana.image, /^grafana\/grafana:\d+\.\d+\.\d+$/, 'a pinned Grafana')
  for (const service of [prometheus, grafana]) {
    for (const port of service.ports ?? []) t.match(port, /^127\.0\.0\.1:/, `${port}: published on the host's loopback only`)
  }
})

t.test('every file they mount is in the repository', async t => {
  for (const [name, service] of [['prometheus', prometheus], ['grafana', grafana]] as const) {
    for (const [target, source] of bindMounts(service)) t.ok(existsSync(path.join(ROOT, source)), `${name}: ${source} (→ ${target}) exists`)
  }
})

t.test('Prometheus loads the alert rules and scrapes the internal port of api and worker', async t => {
  const configFile = (prometheus.command ?? []).find(arg => arg.startsWith('--config.file='))?.split('=')[1] ?? ''
  const configSource = hostPathOf(prometheus, configFile)
  t.equal(configSource, 'deploy/monitoring/prometheus.yml')
  const config = readYaml(configSource ?? '')[0] as { rule_files: string[], scrape_configs: Array<{ metrics_path?: string, dns_sd_configs?: Array<{ names: string[], port: number }> }> }
  t.same(config.rule_files.map(file => hostPathOf(prometheus, path.posix.join(path.posix.dirname(configFile), file))), ['deploy/monitoring/alerts.yaml'], 'the rules are alerts.yaml, mounted beside the config')
  const [scrape] = config.scrape_configs
  t.equal(scrape?.metrics_path ?? '/metrics', '/metrics')
  const [sd] = scrape?.dns_sd_configs ?? []
  t.same(sd?.names, ['api', 'worker'])
  for (const name of sd?.names ?? []) {
    t.ok(services[name], `${name} is a compose service`)
    // The service's own INTERNAL_PORT, or the default it reads when compose sets none.
    const internalPort = loadConfig({ INTERNAL_PORT: services[name]?.environment?.INTERNAL_PORT }).INTERNAL_PORT
    t.equal(sd?.port, internalPort, `${name}'s INTERNAL_PORT, where /metrics is served`)
  }
})

t.test('Grafana gets the Prometheus datasource and the dashboard provisioned', async t => {
  const datasourceDir = hostPathOf(grafana, '/etc/grafana/provisioning/datasources') ?? ''
  const dashboardsDir = hostPathOf(grafana, '/etc/grafana/provisioning/dashboards') ?? ''
  t.ok(statSync(path.join(ROOT, datasourceDir)).isDirectory() && statSync(path.join(ROOT, dashboardsDir)).isDirectory(), 'both provisioning directories are mounted')
  const datasources = (readYaml(path.join(datasourceDir, 'prometheus.yaml'))[0] as { datasources: Array<{ type: string, url: string }> }).datasources
  t.same(datasources.map(d => [d.type, d.url]), [['prometheus', 'http://prometheus:9090']], 'the profile\'s Prometheus, by service name and port')
  t.ok(prometheus.ports?.some(port => port.endsWith(':9090')), 'Prometheus listens on 9090')
  const providers = (readYaml(path.join(dashboardsDir, 'campaign-service.yaml'))[0] as { providers: Array<{ type: string, options: { path: string } }> }).providers
  const provided = providers[0]?.options.path ?? ''
  t.equal(hostPathOf(grafana, path.posix.join(provided, 'campaign-service.json')), 'deploy/monitoring/grafana-dashboard.json', 'the provider\'s folder holds the dashboard')
  t.equal(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, path.posix.join(provided, 'campaign-service.json'), 'and it is the home dashboard')
  t.match(readText('docker-compose.yml'), /GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_ADMIN_PASSWORD:-/, 'the admin password comes from .env')
})

t.test('promtool accepts the Prometheus config and its rules', { skip: spawnSync('promtool', ['--version']).error !== undefined ? 'promtool is not installed (apt-get install prometheus)' : false }, async t => {
  const run = spawnSync('promtool', ['check', 'config', 'deploy/monitoring/prometheus.yml'], { cwd: ROOT, encoding: 'utf8' })
  t.equal(run.status, 0, run.stdout + run.stderr)
})
