import type { IContainer, IService } from 'kubernetes-models/v1'
import t from 'tap'
import { readText, sourceOfCompiled } from '../helpers/deploy-files.js'
import { parseDockerfile } from '../helpers/dockerfile.js'
import { api, apiContainer, config, configMap, cronPod, matches, ofKind, podOf, secret, worker } from '../helpers/kubernetes-manifests.js'

// The Deployments: what the api and worker pods run and with what.

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
