import client from 'prom-client'
import type { Metrics } from '../observability/metrics.js'

export type ActivationMetrics = ReturnType<typeof createActivationMetrics>

export function createActivationMetrics (metrics: Metrics) {
  const ticks = new client.Counter({
    name: 'activation_ticks_total',
    help: 'Activation calls by outcome: success (the call answered; single campaigns may still have failed) or failure (it threw)',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry]
  })
  ticks.inc({ outcome: 'success' }, 0)
  ticks.inc({ outcome: 'failure' }, 0)
  return {
    ticks,
    lastSuccess: new client.Gauge({
      name: 'activation_last_success_timestamp_seconds',
      help: 'Unix time of the last activation call this process answered successfully (0: none since it started); alert on the max across replicas',
      registers: [metrics.registry]
    }),
    campaigns: new client.Counter({
      name: 'activation_campaigns_total',
      help: 'Campaigns handled by the activation tick, by outcome',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry]
    }),
    enrollmentsCompleted: new client.Counter({
      name: 'activation_enrollments_completed_total',
      help: 'Enrollments the tick completed by skipping their last message (stale or no phone)',
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
