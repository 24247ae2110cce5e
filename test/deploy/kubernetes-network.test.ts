import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1'
import type { IService } from 'kubernetes-models/v1'
import t from 'tap'
import { parseActivateArgs } from '../../src/operations/activate-command.js'
import { ENV_KEYS, sourceOfCompiled } from '../helpers/deploy-files.js'
import { api, apiContainer, config, cronContainer, cronPod, cronSpec, internalService, matches, ofKind, publicService, required, secret, worker } from '../helpers/kubernetes-manifests.js'

// How pods reach each other: Services, the activation CronJob, the network policy, the disruption budget.

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
