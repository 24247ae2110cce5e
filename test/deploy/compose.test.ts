import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { parseActivateArgs } from '../../src/operations/activate-command.js'
import { ENV_KEYS, readText, readYaml, sourceOfCompiled } from '../helpers/deploy-files.js'

interface Service {
  image?: string
  build?: unknown
  command?: string[]
  environment?: Record<string, string>
  ports?: Array<string | { target: number, published?: string | number }>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test?: string[], disable?: boolean }
  stop_grace_period?: string
}
const compose = readYaml('docker-compose.yml')[0] as { services: Record<string, Service> }
const services = compose.services
const appImage = services.api?.image
const appServices = Object.entries(services).filter(([, service]) => service.build !== undefined || service.image === appImage)
const raw = readText('docker-compose.yml')

// What a filled-in .env gives compose: .env.example, with every empty value set to a sample.
const sampleEnv = Object.fromEntries(readText('.env.example').split('\n')
  .filter(line => /^[A-Z_][A-Z0-9_]*=/.test(line))
  .map(line => { const [key = '', value = ''] = line.split(/=(.*)/); return [key, value] }))
const filledEnv: Record<string, string> = Object.fromEntries(Object.entries(sampleEnv).map(([key, value]) => [key, value !== '' || !/PASSWORD|KEY$|SECRET/.test(key) ? value : `sample-${key.toLowerCase()}-0123456789abcdef`]))

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate (value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g, (_, name: string, colon: string, op: string | undefined, arg: string) => {
    const given = env[name]
    const missing = given === undefined || (colon === ':' && given === '')
    if (op === '?' && missing) throw new Error(`${name}: ${arg}`)
    if (op === '-' && missing) return arg
    return given ?? ''
  })
}
// SECRETS_KEY and SECRETS_KEY_PREVIOUS have a shape of their own (32 bytes, base64).
filledEnv.SECRETS_KEY = Buffer.alloc(32, 1).toString('base64')
filledEnv.SECRETS_KEY_PREVIOUS = Buffer.alloc(32, 2).toString('base64')
const requiredOnly = Object.fromEntries(['POSTGRES_PASSWORD', 'ADMIN_API_KEY', 'CRON_SECRET'].map(key => [key, filledEnv[key] ?? '']))
const environmentOf = (service: Service, env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), env)]))

t.test('PostgreSQL 16 and Redis 7 with health checks', async t => {
  t.match(services.postgres?.image, /^postgres:16([.-]|$)/)
  t.match(services.redis?.image, /^redis:7([.-]|$)/)
  for (const name of ['postgres', 'redis']) t.ok((services[name]?.healthcheck?.test?.length ?? 0) > 0, `${name} has a health check`)
})

t.test('every variable given to the service is one it reads, with values it accepts', async t => {
  t.ok(appServices.length >= 4, 'migrate, api, worker, activator')
  for (const [name, service] of appServices) {
    for (const key of Object.keys(service.environment ?? {})) t.ok(ENV_KEYS.has(key), `${name}: ${key} is in EnvSchema`)
    t.doesNotThrow(() => loadConfig(environmentOf(service, filledEnv)), `${name}: the environment passes loadConfig`)
    t.doesNotThrow(() => loadConfig(environmentOf(service, requiredOnly)), `${name}: so do compose's defaults for optional variables`)
  }
})

t.test('secrets come from the environment (.env), required ones refuse to be empty', async t => {
  const referenced = new Set([...raw.matchAll(/\$\{(\w+)/g)].map(m => m[1]))
  for (const name of referenced) t.ok(name !== undefined && name in sampleEnv, `${name ?? ''} is documented in .env.example`)
  for (const secret of ['POSTGRES_PASSWORD', 'ADMIN_API_KEY', 'CRON_SECRET']) {
    t.equal(sampleEnv[secret], '', `.env.example holds no value for ${secret}`)
    t.match(raw, new RegExp(`\\$\\{${secret}:\\?`), `${secret} is required (:?)`)
  }
  t.throws(() => environmentOf(services.api as Service, sampleEnv), 'the unfilled example is refused')
  t.throws(() => loadConfig({ ...environmentOf(services.api as Service, filledEnv), CRON_SECRET: 'short' }), ConfigError)
})

t.test('only the public port is published; the internal listener stays on the compose network', async t => {
  const env = loadConfig(environmentOf(services.api as Service, filledEnv))
  // Short syntax "[ip:]host:container[/proto]" or long syntax {target, published}.
  const containerPorts = (service: Service | undefined): number[] => (service?.ports ?? [])
    .map(port => typeof port === 'string' ? Number(interpolate(port, filledEnv).split(':').at(-1)?.split('/')[0]) : port.target)
  t.same(containerPorts(services.api), [env.PORT], 'the api publishes its PORT')
  for (const [name, service] of Object.entries(services)) t.notOk(containerPorts(service).includes(env.INTERNAL_PORT), `${name} does not publish the internal port`)
})

t.test('one-shot migration before the api and the worker start', async t => {
  const migrate = services.migrate
  t.same(migrate?.command, ['node', 'dist/src/cli.js', 'migrate'])
  t.equal(sourceOfCompiled('dist/src/cli.js'), 'src/cli.ts')
  t.equal(migrate?.depends_on?.postgres?.condition, 'service_healthy')
  for (const name of ['api', 'worker']) {
    const service = services[name] as Service
    t.same(service.depends_on, {
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' }
    }, `${name} waits for the migration and healthy backends`)
    t.equal(loadConfig(environmentOf(service, filledEnv)).MIGRATE_ON_START, false, `${name} does not migrate itself`)
  }
})

t.test('api and worker run apart, each with its own command', async t => {
  t.same(services.api?.command, ['node', 'dist/src/server.js'])
  t.equal(loadConfig(environmentOf(services.api as Service, filledEnv)).WORKER_ENABLED, false, 'the api leaves jobs to the worker')
  t.same(services.worker?.command, ['node', 'dist/src/worker.js'])
  // The image's HEALTHCHECK asks /healthz on the public port, which only the api serves.
  for (const [name, service] of appServices.filter(([name]) => name !== 'api')) t.equal(service.healthcheck?.disable, true, `${name}: the image's HTTP health check is off`)
  t.equal(services.api?.healthcheck, undefined, 'the api keeps the image\'s health check')
})

t.test('the worker command is a compiled source file', async t => {
  t.equal(sourceOfCompiled('dist/src/worker.js'), 'src/worker.ts')
})

t.test('the api gets longer to stop than its own shutdown timeout', async t => {
  const env = loadConfig(environmentOf(services.api as Service, filledEnv))
  const grace = /^(\d+)s$/.exec(services.api?.stop_grace_period ?? '')
  t.ok(grace, 'stop_grace_period in seconds')
  t.ok(Number(grace?.[1]) * 1000 > env.SHUTDOWN_TIMEOUT_MS, 'stop_grace_period > SHUTDOWN_TIMEOUT_MS')
})

t.test('the activator calls the api\'s internal port with the CLI', async t => {
  const activator = services.activator
  const script = activator?.command?.join(' ') ?? ''
  const match = /node (dist\/src\/cli\.js) activate (--url \S+(?: --[\w-]+ \S+)*)/.exec(script)
  t.ok(match, 'runs cli activate')
  const options = parseActivateArgs((match?.[2] ?? '').split(' '))
  const url = new URL(options.url)
  t.equal(url.hostname, 'api')
  t.equal(Number(url.port), loadConfig(environmentOf(services.api as Service, filledEnv)).INTERNAL_PORT)
  t.equal(environmentOf(activator as Service, filledEnv).CRON_SECRET, environmentOf(services.api as Service, filledEnv).CRON_SECRET, 'the same CRON_SECRET as the api')
  t.notOk('DATABASE_URL' in (activator?.environment ?? {}), 'needs no database')
  t.equal(activator?.depends_on?.api?.condition, 'service_healthy')
})

t.test('the api and the worker share SECRETS_KEY (and SECRETS_KEY_PREVIOUS for rotations) from .env', async t => {
  for (const name of ['api', 'worker']) {
    t.equal(services[name]?.environment?.SECRETS_KEY, '${SECRETS_KEY:-}', `${name}: SECRETS_KEY`)
    t.equal(services[name]?.environment?.SECRETS_KEY_PREVIOUS, '${SECRETS_KEY_PREVIOUS:-}', `${name}: SECRETS_KEY_PREVIOUS`)
    t.notOk(Object.keys(services[name]?.environment ?? {}).some(key => /^AIRTABLE_(API_KEY|BASE_ID|TABLE)$/.test(key)), `${name}: no global Airtable settings`)
  }
})
