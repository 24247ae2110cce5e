import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ALERTS_FILE = path.join(ROOT, 'deploy/monitoring/alerts.yaml')
export const PROMETHEUS_RULE_FILE = path.join(ROOT, 'deploy/kubernetes/monitoring/prometheus-rule.yaml')

/** deploy/monitoring/alerts.yaml's groups as a PrometheusRule (Prometheus Operator), as YAML text. */
export function renderPrometheusRule (): string {
  const { groups } = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: unknown[] }
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'campaign-service',
      labels: { 'app.kubernetes.io/name': 'campaign-service', 'app.kubernetes.io/component': 'monitoring' }
    },
    spec: { groups }
  }
  return '# Generated from deploy/monitoring/alerts.yaml by `npx tsx scripts/prometheus-rule.ts write`: edit that file\n' +
    '# and regenerate. Your Prometheus selects rules by label (ruleSelector); add its label here if needed.\n' +
    stringify(manifest, { lineWidth: 0 })
}
