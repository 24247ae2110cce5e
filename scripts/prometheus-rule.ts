// Writes deploy/kubernetes/monitoring/prometheus-rule.yaml from deploy/monitoring/alerts.yaml
// (`npx tsx scripts/prometheus-rule.ts write`), or fails when the committed file differs (a test
// does the same check).
import { readFileSync, writeFileSync } from 'node:fs'
import { PROMETHEUS_RULE_FILE, renderPrometheusRule } from './render-prometheus-rule.js'

const rendered = renderPrometheusRule()
if (process.argv[2] === 'write') {
  writeFileSync(PROMETHEUS_RULE_FILE, rendered)
  process.stdout.write('prometheus-rule.yaml written\n')
} else {
  let committed = ''
  try { committed = readFileSync(PROMETHEUS_RULE_FILE, 'utf8') } catch { /* no file yet: it differs */ }
  if (committed !== rendered) {
    process.stderr.write('prometheus-rule.yaml is out of date with deploy/monitoring/alerts.yaml: run `npx tsx scripts/prometheus-rule.ts write` and commit the result\n')
    process.exit(1)
  }
  process.stdout.write('prometheus-rule.yaml matches alerts.yaml\n')
}
