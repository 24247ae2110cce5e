import t from 'tap'
import { isMap, isScalar, parseDocument } from 'yaml'
import { ConfigError, loadConfig } from '../../src/config.js'
import { ENV_KEYS, readText, readYaml } from '../helpers/deploy-files.js'
import { api, apiContainer, configMap, DIR, files, manifests, MODELS, podOf, secret, worker } from '../helpers/kubernetes-manifests.js'

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

t.test('SECRETS_KEY comes from the Secret, read by the api and the worker; no global Airtable settings', async t => {
  t.ok(Object.keys(secret.stringData ?? {}).includes('SECRETS_KEY'), 'the Secret has SECRETS_KEY')
  t.notOk('SECRETS_KEY' in (configMap.data ?? {}), 'never in the ConfigMap')
  for (const deployment of [api, worker]) {
    t.ok(podOf(deployment).containers[0]?.envFrom?.some(from => from.secretRef?.name === secret.metadata.name), `${deployment.metadata.name} reads the Secret`)
  }
  for (const key of ['AIRTABLE_API_KEY', 'AIRTABLE_BASE_ID', 'AIRTABLE_TABLE']) t.notOk(key in { ...configMap.data, ...secret.stringData }, `${key} is gone`)
})
