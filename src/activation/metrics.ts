import client from 'prom-client'
import type { Metrics } from '../observability/metrics.js'

export type ActivationMetrics = ReturnType<typeof createActivationMetrics>

export function createActivationMetrics (metrics: Metrics) {
  return {
    campaigns: new client.Counter({
      name: 'activation_campaigns_total',
      help: 'Campaigns handled by the activation tick, by outcome',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry]
    }),
    enrollmentsCompleted: new client.Counter({
      name: 'activation_enrollments_completed_total',
      help: 'Enrollments moved to completed because their completesAt passed',
      registers: [metrics.registry]
    }),
    tickDuration: new client.Histogram({
      name: 'activation_tick_duration_seconds',
      help: 'Duration of one activation call',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers: [metrics.registry]
    })
  }
}
