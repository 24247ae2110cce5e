import { readdirSync } from 'node:fs'
import path from 'node:path'
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1'
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service, type IConfigMap, type IContainer, type IPodSpec, type ISecret, type IService } from 'kubernetes-models/v1'
import { loadConfig } from '../../src/config.js'
import { readYaml, ROOT } from './deploy-files.js'

// The manifests under deploy/kubernetes, parsed once, and the objects the tests look at.
export const DIR = 'deploy/kubernetes'
export const files = readdirSync(path.join(ROOT, DIR)).filter(name => /\.ya?ml$/.test(name)).sort()
export const MODELS: Record<string, new (data: never) => { validate: () => void }> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy
}
interface Manifest { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string> }, file: string }
export const manifests: Manifest[] = files.filter(file => file !== 'kustomization.yaml')
  .flatMap(file => readYaml(`${DIR}/${file}`).map(document => ({ ...(document as Manifest), file })))
export const ofKind = <T>(kind: string): Array<T & Manifest> => manifests.filter(m => m.kind === kind) as Array<T & Manifest>
export function required<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${DIR}: ${what} is missing`)
  return value
}
const named = <T>(kind: string, name: string): T & Manifest => {
  const found = ofKind<T>(kind).find(m => m.metadata.name === name)
  if (found === undefined) throw new Error(`no ${kind} ${name} in ${DIR}`)
  return found
}

export const api = named<IDeployment>('Deployment', 'campaign-service-api')
export const worker = named<IDeployment>('Deployment', 'campaign-service-worker')
const cronJob = named<ICronJob>('CronJob', 'campaign-service-activate')
export const configMap = named<IConfigMap>('ConfigMap', 'campaign-service')
export const secret = named<ISecret>('Secret', 'campaign-service')
export const publicService = named<IService>('Service', 'campaign-service')
export const internalService = named<IService>('Service', 'campaign-service-internal')
export const podOf = (deployment: IDeployment): IPodSpec => deployment.spec?.template.spec as IPodSpec
export const apiContainer = podOf(api).containers[0] as IContainer
export const cronSpec = required(cronJob.spec, 'CronJob spec')
export const cronPod = cronSpec.jobTemplate.spec?.template.spec as IPodSpec
export const cronContainer = cronPod.containers[0] as IContainer
export const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value)

// The running configuration of an api pod: ConfigMap, then Secret (with sample secrets), then env.
const sampleSecrets = { DATABASE_URL: 'postgres://u:p@db:5432/cs', REDIS_URL: 'redis://redis:6379', ADMIN_API_KEY: 'a'.repeat(32), CRON_SECRET: 'c'.repeat(32) }
const apiEnv = Object.fromEntries((apiContainer.env ?? []).map(e => [e.name, e.value ?? '']))
export const config = loadConfig({ ...configMap.data, ...secret.stringData, ...sampleSecrets, ...apiEnv })
