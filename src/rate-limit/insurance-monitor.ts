import client from 'prom-client'
import type { Logger } from 'pino'
import type { Metrics } from '../observability/metrics.js'

const METRIC = 'rate_limit_insurance_decisions_total'
const WARN_EVERY_MS = 60_000

/**
 * What to call each time a shared limiter decides on its per-process insurance because Redis
 * is down or frozen: counts it by limiter and warns at most once a minute while it goes on, since
 * each replica then allows the whole limit on its own.
 */
export function insuranceMonitor (metrics: Metrics, logger: Logger, limiter: string): () => void {
  const counter = (metrics.registry.getSingleMetric(METRIC) as client.Counter<'limiter'> | undefined) ?? new client.Counter({
    name: METRIC,
    help: 'Rate-limit decisions taken per process because Redis did not answer (limits are then per replica), by limiter',
    labelNames: ['limiter'] as const,
    registers: [metrics.registry]
  })
  counter.inc({ limiter }, 0)
  let lastWarning = 0
  return () => {
    counter.inc({ limiter })
    const now = Date.now()
    if (now - lastWarning < WARN_EVERY_MS) return
    lastWarning = now
    logger.warn({ limiter }, 'redis is not answering: this rate limit is kept per process (each replica allows the whole limit) until it is back')
  }
}
