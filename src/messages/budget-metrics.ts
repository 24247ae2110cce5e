import client from 'prom-client'
import type { Metrics } from '../observability/metrics.js'

export type BudgetUsageRecorder = (clientId: string, usedRatio: number) => void

/**
 * How much of the daily token budget clients used today (UTC), as this process last saw it
 * (every replica reads the shared count, so the max across replicas is the truth). By default
 * one series: the highest ratio of any client, so the number of clients never becomes label
 * cardinality; with `perClient` (METRICS_CLIENT_LABELS) also one series per client id.
 */
export function createBudgetMetrics (metrics: Metrics, perClient: boolean): BudgetUsageRecorder {
  const seen = new Map<string, { day: string, ratio: number }>()
  const today = () => new Date().toISOString().slice(0, 10)
  const byClient = perClient
    ? new client.Gauge({
      name: 'message_generation_token_budget_used_ratio',
      help: 'Share of the daily token budget each client used today (0-1+, by client id; METRICS_CLIENT_LABELS=true)',
      labelNames: ['client_id'] as const,
      registers: [metrics.registry]
    })
    : undefined
  // Yesterday's figures leave at midnight instead of lingering until the client's next call.
  const forgetEarlierDays = (day: string) => {
    for (const [clientId, entry] of seen) {
      if (entry.day === day) continue
      seen.delete(clientId)
      byClient?.remove({ client_id: clientId })
    }
  }
  metrics.registry.registerMetric(new client.Gauge({
    name: 'message_generation_token_budget_max_used_ratio',
    help: 'The highest share of the daily token budget any client used today (0-1+; 0 when there is no budget)',
    registers: [],
    collect () {
      forgetEarlierDays(today())
      this.set(Math.max(0, ...[...seen.values()].map(entry => entry.ratio)))
    }
  }))
  return (clientId, usedRatio) => {
    seen.set(clientId, { day: today(), ratio: usedRatio })
    byClient?.set({ client_id: clientId }, usedRatio)
  }
}
