import { readdirSync } from 'node:fs'
import path from 'node:path'
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1'
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1'
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service, type IConfigMap, type IContainer, type IPodSpec, type ISecret, type IService } from 'kubernetes-models/v1'
import t from 'tap'
import { isMap, isScalar, parseDocument } from 'yaml'
import { ConfigError, loadConfig } from '../../src/config.js'
import { parseActivateArgs } from '../../src/operations/activate-command.js'
import { ENV_KEYS, readText, readYaml, ROOT, sourceOfCompiled } from '../helpers/deploy-files.js'
import { parseDockerfile } from '../helpers/dockerfile.js'

const DIR = 'deploy/kubernetes'
const files = readdirSync(path.join(ROOT, DIR)).filter(name => /\.ya?ml$/.test(name)).sort()
const MODELS: Record<string, new (data: never) => { validate: () => void }> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy
}
interface Manifest { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string> }, file: string }
const manifests: Manifest[] = files.filter(file => file !== 'kustomization.yaml')
  .flatMap(file => readYaml(`${DIR}/${file}`).map(document => ({ ...(document as Manifest), file })))
const ofKind = <T>(kind: string): Array<T & Manifest> => manifests.filter(m => m.kind === kind) as Array<T & Manifest>
function required<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${DIR}: ${what} is missing`)
  return value
}
const named = <T>(kind: string, name: string): T & Manifest => {
  const found = ofKind<T>(kind).find(m => m.metadata.name === name)
  if (found === undefined) throw new Error(`no ${kind} ${name} in ${DIR}`)
  return found
}

const api = named<IDeployment>('Deployment', 'campaign-service-api')
const worker = named<IDeployment>('Deployment', 'campaign-service-worker')
const cronJob = named<ICronJob>('CronJob', 'campaign-service-activate')
const configMap = named<IConfigMap>('ConfigMap', 'campaign-service')
const secret = named<ISecret>('Secret', 'campaign-service')
const publicService = named<IService>('Service', 'campaign-service')
const internalService = named<IService>('Service', 'campaign-service-internal')
const podOf = (deployment: IDeployment): IPodSpec => deployment.spec?.template.spec as IPodSpec
const apiContainer = podOf(api).containers[0] as IContainer
const cronSpec = required(cronJob.spec, 'CronJob spec')
const cronPod = cronSpec.jobTemplate.spec?.template.spec as IPodSpec
const cronContainer = cronPod.containers[0] as IContainer
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value)

// The running configuration of an api pod: ConfigMap, then Secret (with sample secrets), then env.
const sampleSecrets = { DATABASE_URL: 'postgres://u:p@db:5432/cs', REDIS_URL: 'redis://redis:6379', ADMIN_API_KEY: 'a'.repeat(32), CRON_SECRET: 'c'.repeat(32) }
const apiEnv = Object.fromEntries((apiContainer.env ?? []).map(e => [e.name, e.value ?? '']))
const config = loadConfig({ ...configMap.data, ...secret.stringData, ...sampleSecrets, ...apiEnv })

t.test('every manifest is valid against the Kubernetes schemas', async t => {
  t.ok(manifests.length >= 8)
  for (const manifest of manifests) {
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`]
    t.ok(Model, `${manifest.file}: ${manifest.apiVersion} ${manifest.kind} is a known kind`)
    if (Model === undefined) continue
    const { file, ...object } = manifest
    t.doesNotThrow(() => { new Model(object as never).validate() }, `${file}: ${manifest.kind} ${manifest.metadata.name}`)
  }
})

t.test('the kustomization lists every manifest except the secret example', async t => {
  const kustomization = readYaml(`${DIR}/kustomization.yaml`)[0] as { resources: string[], images?: Array<{ name: string }> }
  t.same([...kustomization.resources].sort(), files.filter(file => file !== 'kustomization.yaml' && file !== 'secret.example.yaml'))
  t.same(kustomization.images?.map(image => image.name), [apiContainer.image?.split(':')[0]], 'its image override names the image in use')
})

t.test('ConfigMap and Secret keys are variables the service reads, with valid values', async t => {
  for (const key of Object.keys(configMap.data ?? {})) t.ok(ENV_KEYS.has(key), `ConfigMap ${key}`)
  // kubectl and kustomize read YAML 1.1, where an unquoted 2024-10-21 is a timestamp, yes/no/on/off
  // booleans and 0.0.0.0 or 010 may not stay as written: every unquoted value must be a plain word.
  const data = parseDocument(readText(`${DIR}/configmap.yaml`)).get('data', true)
  t.ok(isMap(data), 'the ConfigMap has data')
  if (isMap(data)) {
    for (const pair of data.items) {
      const value = pair.value
      if (!isScalar(value) || value.type !== 'PLAIN') continue
      const text = String(value.source ?? value.value)
      t.ok(/^[A-Za-z][A-Za-z0-9_-]*$/.test(text) && !/^(y|n|yes|no|on|off|true|false|null)$/i.test(text), `ConfigMap ${String(pair.key)}: ${text} is quoted or a plain word`)
    }
  }
  for (const key of Object.keys(secret.stringData ?? {})) t.ok(ENV_KEYS.has(key), `Secret ${key}`)
  t.notOk(secret.data, 'the example uses readable stringData')
  for (const [key, value] of Object.entries(secret.stringData ?? {})) t.ok(value === '' || value.includes('CHANGE-ME') || value.includes('.invalid'), `Secret ${key} is a placeholder`)
  t.throws(() => loadConfig({ ...configMap.data, ...secret.stringData }), ConfigError, 'the example Secret cannot start the service as it is')
})

t.test('the api Deployment: replicas, probes, resources, non-root, config and secret', async t => {
  t.ok((api.spec?.replicas ?? 1) >= 2, '2+ replicas')
  const ports = Object.fromEntries((apiContainer.ports ?? []).map(p => [p.name, p.containerPort]))
  t.same(Object.values(ports).sort(), [config.PORT, config.INTERNAL_PORT].sort(), 'containerPorts are PORT and INTERNAL_PORT')
  const portNumber = (port: string | number | undefined): number | undefined => typeof port === 'number' ? port : ports[port ?? '']
  t.equal(apiContainer.readinessProbe?.httpGet?.path, '/readyz')
  t.equal(apiContainer.livenessProbe?.httpGet?.path, '/healthz')
  t.equal(apiContainer.startupProbe?.httpGet?.path, '/healthz')
  for (const probe of [apiContainer.readinessProbe, apiContainer.livenessProbe, apiContainer.startupProbe]) t.equal(portNumber(probe?.httpGet?.port), config.PORT, 'probes ask the public port')
  t.same(apiContainer.command, ['node', 'dist/src/server.js'])
  t.equal(sourceOfCompiled('dist/src/server.js'), 'src/server.ts')
  t.equal(config.WORKER_ENABLED, false, 'jobs run in the worker Deployment')
  t.equal(config.MIGRATE_ON_START, true, 'migrations run at start (advisory-locked)')
  for (const deployment of [api, worker]) {
    const container = podOf(deployment).containers[0] as IContainer
    t.same(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }], `${deployment.metadata.name} reads the ConfigMap and Secret`)
    t.equal(container.image, apiContainer.image, 'one image for every workload')
  }
  // preStop pause + the server's own shutdown timeout must fit in the grace period.
  const pause = Number(apiContainer.lifecycle?.preStop?.exec?.command?.[1] ?? 0)
  t.ok((podOf(api).terminationGracePeriodSeconds ?? 30) * 1000 > pause * 1000 + config.SHUTDOWN_TIMEOUT_MS, 'terminationGracePeriodSeconds > preStop + SHUTDOWN_TIMEOUT_MS')
  t.ok((podOf(worker).terminationGracePeriodSeconds ?? 30) * 1000 > config.SHUTDOWN_TIMEOUT_MS, 'worker: terminationGracePeriodSeconds > SHUTDOWN_TIMEOUT_MS')
})

t.test('every pod runs non-root as the image\'s user, with requests and limits', async t => {
  const imageUser = Number(parseDockerfile(readText('Dockerfile')).stages.at(-1)?.instructions.filter(i => i.keyword === 'USER').at(-1)?.args.split(':')[0])
  for (const [name, pod] of [['api', podOf(api)], ['worker', podOf(worker)], ['cronjob', cronPod]] as const) {
    t.equal(pod.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`)
    t.equal(pod.securityContext?.runAsUser, imageUser, `${name}: runAsUser is the Dockerfile's USER`)
    for (const container of pod.containers) {
      t.equal(container.securityContext?.allowPrivilegeEscalation, false, `${name}: no privilege escalation`)
      t.same(container.securityContext?.capabilities?.drop, ['ALL'], `${name}: drops capabilities`)
      for (const kind of ['requests', 'limits'] as const) {
        t.ok(container.resources?.[kind]?.cpu !== undefined && container.resources?.[kind]?.memory !== undefined, `${name}: ${kind} cpu and memory`)
      }
    }
  }
})

t.test('the worker Deployment runs the compiled worker', async t => {
  t.same((podOf(worker).containers[0] as IContainer).command, ['node', 'dist/src/worker.js'])
  for (const service of ofKind<IService>('Service')) t.notOk(matches(service.spec?.selector, worker.spec?.template.metadata?.labels), `${service.metadata.name} does not route to the worker`)
})

t.test('the worker command is a compiled source file', async t => {
  t.equal(sourceOfCompiled('dist/src/worker.js'), 'src/worker.ts')
})

t.test('Services: public on PORT, internal on INTERNAL_PORT as ClusterIP, both on the api pods', async t => {
  for (const deployment of [api, worker]) t.ok(matches(deployment.spec?.selector.matchLabels, deployment.spec?.template.metadata?.labels), `${deployment.metadata.name} selects its own pods`)
  for (const service of ofKind<IService>('Service')) {
    t.ok(matches(service.spec?.selector, api.spec?.template.metadata?.labels), `${service.metadata.name} selects the api pods`)
    for (const port of service.spec?.ports ?? []) {
      const target = (apiContainer.ports ?? []).find(p => p.name === port.targetPort || p.containerPort === port.targetPort)
      t.ok(target, `${service.metadata.name}: targetPort ${String(port.targetPort)} is a containerPort`)
      t.equal(target?.containerPort, port.port, `${service.metadata.name}: port ${port.port} keeps the container's number`)
    }
  }
  t.same(publicService.spec?.ports?.map(p => p.port), [config.PORT], 'the public Service carries only PORT')
  t.same(internalService.spec?.ports?.map(p => p.port), [config.INTERNAL_PORT])
  t.equal(internalService.spec?.type ?? 'ClusterIP', 'ClusterIP', 'the internal Service is ClusterIP')
  for (const service of ofKind<IService>('Service').filter(s => s !== internalService)) {
    t.notOk(service.spec?.ports?.some(p => p.port === config.INTERNAL_PORT || p.targetPort === 'internal' || p.targetPort === config.INTERNAL_PORT), `${service.metadata.name} does not expose the internal port`)
  }
})

t.test('the CronJob: every minute, no overlap, bounded, on the internal Service with the secret', async t => {
  const spec = cronSpec
  t.equal(spec.schedule, '* * * * *')
  t.equal(spec.concurrencyPolicy, 'Forbid')
  t.ok((spec.startingDeadlineSeconds ?? 0) > 0 && (spec.startingDeadlineSeconds ?? 0) < 60, 'startingDeadlineSeconds within the minute')
  t.type(spec.successfulJobsHistoryLimit, 'number')
  t.type(spec.failedJobsHistoryLimit, 'number')
  const job = spec.jobTemplate.spec
  t.type(job?.backoffLimit, 'number')
  t.equal(cronPod.restartPolicy, 'Never')
  t.equal(cronContainer.image, apiContainer.image, 'the service\'s own image')

  const [node, script, command, ...args] = cronContainer.command ?? []
  t.same([node, script, command], ['node', 'dist/src/cli.js', 'activate'])
  t.equal(sourceOfCompiled(script ?? ''), 'src/cli.ts')
  const options = parseActivateArgs(args)
  const url = new URL(options.url)
  t.equal(url.hostname, internalService.metadata.name, 'calls the internal Service')
  t.equal(Number(url.port), internalService.spec?.ports?.[0]?.port, 'on its port')
  t.ok(options.timeoutMs >= config.ACTIVATION_TICK_BUDGET_MS + 10000, 'a call may spend its whole budget (ACTIVATION_TICK_BUDGET_MS) and still answer in time')
  t.ok((job?.activeDeadlineSeconds ?? 0) * 1000 >= options.maxCalls * options.timeoutMs, 'activeDeadlineSeconds never cuts a run that makes progress')

  const refs = (cronContainer.env ?? []).filter(e => e.valueFrom?.secretKeyRef !== undefined)
  t.same(refs.map(e => e.name), ['CRON_SECRET'])
  for (const ref of refs) {
    t.equal(ref.valueFrom?.secretKeyRef?.name, secret.metadata.name)
    t.ok(Object.keys(secret.stringData ?? {}).includes(ref.valueFrom?.secretKeyRef?.key ?? ''), `the Secret has key ${ref.valueFrom?.secretKeyRef?.key ?? ''}`)
  }
  t.notOk(cronContainer.envFrom, 'only the one secret it needs')
  for (const e of cronContainer.env ?? []) t.ok(ENV_KEYS.has(e.name), `${e.name} is a variable of the service`)
})

t.test('the network policy admits the CronJob (and only labelled pods) to the internal port', async t => {
  const policy = required(ofKind<INetworkPolicy>('NetworkPolicy')[0]?.spec, 'NetworkPolicy spec')
  t.ok(matches(policy.podSelector.matchLabels, api.spec?.template.metadata?.labels), 'applies to the api pods')
  const rules = policy.ingress ?? []
  const publicRule = rules.find(rule => rule.ports?.some(p => p.port === config.PORT))
  t.notOk(publicRule?.from, 'the public port is open')
  const internalRule = rules.find(rule => rule.ports?.some(p => p.port === config.INTERNAL_PORT))
  t.ok(internalRule?.from?.length, 'the internal port has a from list')
  t.ok(internalRule?.from?.some(peer => matches(peer.podSelector?.matchLabels, cronSpec.jobTemplate.spec?.template.metadata?.labels)), 'the CronJob pods are admitted')
  t.notOk(internalRule?.from?.some(peer => matches(peer.podSelector?.matchLabels, api.spec?.template.metadata?.labels)), 'api pods are not admitted by their own labels')

  // The worker listens on INTERNAL_PORT too: a policy of its own admits the same peers there only.
  const workerPolicy = required(ofKind<INetworkPolicy>('NetworkPolicy').find(p => matches(p.spec?.podSelector.matchLabels, worker.spec?.template.metadata?.labels))?.spec, 'worker NetworkPolicy')
  const workerRules = workerPolicy.ingress ?? []
  t.same(workerRules.flatMap(rule => (rule.ports ?? []).map(p => p.port)), [config.INTERNAL_PORT], 'only the internal port')
  t.same(workerRules[0]?.from, internalRule?.from, 'from the same peers as the api\'s internal port')
})

t.test('the disruption budget keeps an api pod while replicas allow it', async t => {
  const [budget] = ofKind<IPodDisruptionBudget>('PodDisruptionBudget')
  t.ok(matches(budget?.spec?.selector?.matchLabels, api.spec?.template.metadata?.labels))
  t.ok(Number(budget?.spec?.minAvailable) < (api.spec?.replicas ?? 1), 'minAvailable below replicas, so drains can proceed')
})

t.test('SECRETS_KEY comes from the Secret, read by the api and the worker; no global Airtable settings', async t => {
  t.ok(Object.keys(secret.stringData ?? {}).includes('SECRETS_KEY'), 'the Secret has SECRETS_KEY')
  t.notOk('SECRETS_KEY' in (configMap.data ?? {}), 'never in the ConfigMap')
  for (const deployment of [api, worker]) {
    t.ok(podOf(deployment).containers[0]?.envFrom?.some(from => from.secretRef?.name === secret.metadata.name), `${deployment.metadata.name} reads the Secret`)
  }
  for (const key of ['AIRTABLE_API_KEY', 'AIRTABLE_BASE_ID', 'AIRTABLE_TABLE']) t.notOk(key in { ...configMap.data, ...secret.stringData }, `${key} is gone`)
})
