import type { AppContext } from '../context.js'
import { warningFor } from '../enrollment/warning.js'
import { completeFinishedCampaigns } from '../enrollment/completion.js'
import { deliveryMetrics } from '../delivery/metrics.js'
import { runDeliveryTick } from '../delivery/service.js'
import { enrollCampaign } from '../enrollment/engine.js'
import { enrollmentMetrics, observeRun } from '../enrollment/metrics.js'
import { withCampaignLock } from '../enrollment/campaign-lock.js'
import { purgeExpiredKeys } from '../idempotency/idempotency.js'
import { purgeResolvedSyncFailures } from '../airtable/repository.js'
import type { ActivationMetrics } from './metrics.js'
import type { Enrolled, TickResult } from './schemas.js'
import { countDueCampaigns, findDueCampaigns, findPendingCampaigns, markActivated, markExpired } from './repository.js'

/** A reason fit for a response: the database error code or constraint, never SQL or a stack. */
function shortReason (error: unknown): string {
  const pgError = error as { code?: string, constraint?: string }
  if (typeof pgError.code === 'string') return `database error ${pgError.code}${pgError.constraint !== undefined ? ` (${pgError.constraint})` : ''}`
  return 'unexpected error; see the service log'
}

/**
 * One activation call: expire or activate due scheduled campaigns (each under its try-lock,
 * through the same engine as POST /v1/campaigns), continue time-budget stops, then complete
 * due enrollments and finished campaigns. Stops taking new campaigns when its budget is spent or
 * shutdown begins (a run in progress stops at its next chunk; the next tick continues it).
 */
export async function runActivationTick (ctx: AppContext, metrics: ActivationMetrics): Promise<TickResult> {
  const { db, lockPool, config, logger } = ctx
  const started = Date.now()
  const deadline = started + config.ACTIVATION_TICK_BUDGET_MS
  const result: TickResult = { activated: [], expired: [], skipped: [], failed: [], remaining: 0, continued: [], completed: [], enrollmentsCompleted: 0 }
  const enrollOptions = () => ({ config, chunkSize: config.ENROLLMENT_CHUNK_SIZE, budgetMs: Math.max(1, Math.min(config.ENROLLMENT_TIME_BUDGET_MS, deadline - Date.now())), signal: ctx.stopping, firstDeliveries: true })
  const observer = { enrollmentMetrics: enrollmentMetrics(ctx), logger }
  const enroll = async (campaignId: string, trigger: 'activation' | 'continuation', clientId?: string): Promise<Enrolled> => {
    const run = await observeRun(observer, trigger, campaignId, async () => await enrollCampaign(db, campaignId, enrollOptions(), clientId))
    const warning = warningFor(run)
    return { campaignId, enrolled: run.enrolled, totalMatching: run.totalMatching, ...(warning !== undefined ? { warning } : {}) }
  }
  // A campaign is reported at most once per call: one skipped as due is not tried again as pending.
  const handled = new Set<string>()
  const skip = (campaignId: string): void => {
    if (!result.skipped.includes(campaignId)) result.skipped.push(campaignId)
  }
  const attempt = async (campaignId: string, work: () => Promise<void>): Promise<void> => {
    handled.add(campaignId)
    try {
      if (await withCampaignLock(lockPool, campaignId, work) === 'skipped') skip(campaignId)
    } catch (error) {
      logger.error({ err: error, campaignId }, 'campaign activation failed')
      result.failed.push({ campaignId, error: shortReason(error) })
    }
  }

  // Due campaigns are worked on a few at a time: a run of a small campaign is mostly round
  // trips, and campaigns of different clients never wait for each other's locks. Each run
  // holds one pool connection at a time: half the pool, so API requests keep the other half.
  const concurrency = Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 2))
  const dueCampaigns = await findDueCampaigns(db, config.ACTIVATION_BATCH_SIZE)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let due = dueCampaigns[next]; due !== undefined; due = dueCampaigns[next]) {
      if (Date.now() >= deadline || ctx.stopping.aborted) return
      next++
      await attempt(due.id, async () => {
        if (due.expired) {
          if (await markExpired(db, due.id)) result.expired.push(due.id)
          else skip(due.id)
        } else {
          const clientId = await markActivated(db, due.id)
          if (clientId !== undefined) result.activated.push(await enroll(due.id, 'activation', clientId))
          else skip(due.id) // activated (or cancelled) by someone else meanwhile
        }
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, dueCampaigns.length) }, worker))
  // Reported in due order (oldest first), whichever run finished first.
  const place = new Map(dueCampaigns.map((due, index) => [due.id, index]))
  const byPlace = (a: string, b: string) => (place.get(a) ?? 0) - (place.get(b) ?? 0)
  result.activated.sort((a, b) => byPlace(a.campaignId, b.campaignId))
  result.expired.sort(byPlace)
  result.skipped.sort(byPlace)
  result.failed.sort((a, b) => byPlace(a.campaignId, b.campaignId))
  for (const campaignId of await findPendingCampaigns(db, config.ACTIVATION_BATCH_SIZE)) {
    if (Date.now() >= deadline || ctx.stopping.aborted) break
    if (handled.has(campaignId)) continue // activated, failed or skipped a moment ago: once per call is enough
    await attempt(campaignId, async () => { result.continued.push(await enroll(campaignId, 'continuation')) })
  }
  // Due messages become deliveries; stale and phoneless ones are skipped, so enrollments end even
  // when no sender runs. The tick's own budget bounds it; the next tick goes on.
  result.enrollmentsCompleted = await runDeliveryTick(ctx, deliveryMetrics(ctx), () => Date.now() >= deadline || ctx.stopping.aborted)
  result.completed = await completeFinishedCampaigns(db)
  result.remaining = await countDueCampaigns(db, result.skipped)
  const idempotencyKeysPurged = await purgeExpiredKeys(db)
  const syncFailuresPurged = await purgeResolvedSyncFailures(db)

  metrics.campaigns.inc({ outcome: 'activated' }, result.activated.length)
  metrics.campaigns.inc({ outcome: 'expired' }, result.expired.length)
  metrics.campaigns.inc({ outcome: 'skipped' }, result.skipped.length)
  metrics.campaigns.inc({ outcome: 'failed' }, result.failed.length)
  metrics.campaigns.inc({ outcome: 'continued' }, result.continued.length)
  metrics.campaigns.inc({ outcome: 'completed' }, result.completed.length)
  metrics.enrollmentsCompleted.inc(result.enrollmentsCompleted)
  metrics.tickDuration.observe((Date.now() - started) / 1000)
  logger.info({
    activated: result.activated.length, expired: result.expired.length, skipped: result.skipped.length, failed: result.failed.length,
    continued: result.continued.length, completed: result.completed.length, enrollmentsCompleted: result.enrollmentsCompleted,
    remaining: result.remaining, idempotencyKeysPurged, syncFailuresPurged, durationMs: Date.now() - started
  }, 'activation tick')
  return result
}
