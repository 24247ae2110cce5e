import client from 'prom-client'
import type { Logger } from 'pino'
import type { Database } from '../db/database.js'
import { collectorsPerRegistry } from '../observability/metrics.js'
import { countCampaignsByStatus } from '../campaigns/repository.js'
import type { EnrollmentRun, StopReason } from './engine.js'

/** What started a run: POST /v1/campaigns, POST .../enroll, the tick activating, the tick continuing a time-budget stop. */
export type EnrollmentTrigger = 'create' | 'top_up' | 'activation' | 'continuation'

const TRIGGERS: EnrollmentTrigger[] = ['create', 'top_up', 'activation', 'continuation']
const STOP_REASONS: StopReason[] = ['enrollment_cap', 'timeout']
const STATUSES = ['scheduled', 'active', 'completed', 'expired', 'cancelled'] as const

function register (registry: client.Registry, db: Database) {
  const registers = [registry]
  const duration = new client.Histogram({
    name: 'enrollment_run_duration_seconds',
    help: 'Duration of one enrollment run (all its chunks), by trigger',
    labelNames: ['trigger'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers
  })
  const enrolled = new client.Counter({ name: 'enrollment_leads_enrolled_total', help: 'Leads enrolled by enrollment runs, by trigger', labelNames: ['trigger'] as const, registers })
  const partial = new client.Counter({
    name: 'enrollment_partial_total',
    help: 'Enrollment runs that left eligible leads behind, by reason: enrollment_cap (maxLeadsToEnroll reached) or timeout (time budget spent; the tick continues)',
    labelNames: ['reason'] as const,
    registers
  })
  // Series exist from the start at 0, so rate() and alerts see the first increment.
  for (const trigger of TRIGGERS) { duration.zero({ trigger }); enrolled.inc({ trigger }, 0) }
  for (const reason of STOP_REASONS) partial.inc({ reason }, 0)
  const campaigns = new client.Gauge({
    name: 'campaigns',
    help: 'Campaigns by status (all clients; every replica reports the same database count)',
    labelNames: ['status'] as const,
    registers,
    async collect () {
      // A scrape while the database is away keeps the last values instead of failing /metrics.
      const counts = await countCampaignsByStatus(db).catch(() => undefined)
      if (counts === undefined) return
      for (const status of STATUSES) this.set({ status }, counts[status] ?? 0)
    }
  })
  return { duration, enrolled, partial, campaigns }
}
export type EnrollmentMetrics = ReturnType<typeof register>

/** The enrollment collectors of a context's registry, registered on first use. */
export const enrollmentMetrics = collectorsPerRegistry(register)

export interface RunObserver {
  enrollmentMetrics?: EnrollmentMetrics
  /** The request's logger where there is one, so the line carries its reqId. */
  logger?: Pick<Logger, 'info'>
}

/** Runs `run`, then records its duration, enrolled count and stop in /metrics and one log line. */
export async function observeRun (observer: RunObserver, trigger: EnrollmentTrigger, campaignId: string, run: () => Promise<EnrollmentRun>): Promise<EnrollmentRun> {
  const started = performance.now()
  const result = await run()
  const seconds = (performance.now() - started) / 1000
  const { enrollmentMetrics: metrics, logger } = observer
  metrics?.duration.observe({ trigger }, seconds)
  metrics?.enrolled.inc({ trigger }, result.enrolled)
  if (result.stoppedBy !== undefined) metrics?.partial.inc({ reason: result.stoppedBy })
  logger?.info({
    campaignId, trigger, enrolled: result.enrolled, totalMatching: result.totalMatching, reason: result.stoppedBy ?? null, durationMs: Math.round(seconds * 1000)
  }, 'enrollment run')
  return result
}
