import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { lockClient } from '../db/locks.js'
import { withCampaignLock } from '../enrollment/campaign-lock.js'
import { enrollCampaign, interruptedRun, type EnrollOptions, type EnrollmentRun } from '../enrollment/engine.js'
import { observeRun, type EnrollmentMetrics } from '../enrollment/metrics.js'
import { stopEnrollmentsOfCampaign } from '../enrollment/stop.js'
import { warningFor } from '../enrollment/warning.js'
import { HttpProblem, conflict, notFound } from '../http/problem.js'
import { toLead } from '../leads/repository.js'
import { findCampaign, insertCampaign, setCampaignStatus, toCampaign, updateScheduledCampaign, type CampaignRow } from './repository.js'
import { countAudience, sampleAudience } from './preview.js'
import { assertCampaignRules } from './rules.js'
import type { Campaign, CampaignInput, CampaignPatch, CreatedCampaign, EnrollResult, Preview, PreviewInput } from './schemas.js'

export interface CampaignServices {
  db: Database
  lockPool: pg.Pool
  config: Config
  /** Aborted when the process begins to shut down: a run stops at its next chunk. */
  stopping?: AbortSignal
  /** The request's logger (its lines carry the reqId). */
  logger?: Pick<Logger, 'warn' | 'info'>
  enrollmentMetrics?: EnrollmentMetrics
}

/**
 * The run result, once the campaign's lock is free. A run holds it for about its time budget
 * (plus its last chunk), so waiting twice that means it is busy for longer: 409, retry later.
 */
async function runLocked (services: CampaignServices, id: string, run: () => Promise<EnrollmentRun>): Promise<EnrollmentRun> {
  const result = await withCampaignLock(services.lockPool, id, run, { waitMs: 2 * services.config.ENROLLMENT_TIME_BUDGET_MS + 1000 })
  if (result === 'skipped') {
    throw new HttpProblem(409, 'Conflict', 'this campaign is being enrolled by another request right now; retry shortly', { type: 'campaign-busy', headers: { 'retry-after': '5' } })
  }
  return result
}

function enrollOptions ({ config, stopping }: CampaignServices): EnrollOptions {
  return { config, chunkSize: config.ENROLLMENT_CHUNK_SIZE, budgetMs: config.ENROLLMENT_TIME_BUDGET_MS, ...(stopping !== undefined ? { signal: stopping } : {}) }
}

/** The client's campaign `id`; 404 when it has none by that id. */
export async function requireCampaign (db: Database, clientId: string, id: string): Promise<CampaignRow> {
  const row = await findCampaign(db, clientId, id)
  if (row === undefined) throw notFound('campaign')
  return row
}

/**
 * Creates campaign `id` (the Idempotency-Key's resource id, else a new one); one that starts now
 * is enrolled before this returns. When `id` exists already, an earlier attempt with the same
 * key created it and broke off before answering: it is answered as it stands, never made twice.
 */
export async function createCampaign (services: CampaignServices, clientId: string, input: CampaignInput, id: string = randomUUID()): Promise<CreatedCampaign> {
  const { db } = services
  assertCampaignRules(input)
  const startsNow = input.startAt == null || Date.parse(input.startAt) <= Date.now()
  if (!startsNow) {
    const earlier = await findCampaign(db, clientId, id)
    return toCampaign(earlier ?? await insertCampaign(db, id, clientId, input, false))
  }
  // The campaign's lock is taken before the row exists, so the activation tick can never
  // continue this run's enrollment at the same time (the totals below are this run's alone).
  const run = await runLocked(services, id, async () => {
    if (await findCampaign(db, clientId, id) !== undefined) return await interruptedRun(db, id)
    await insertCampaign(db, id, clientId, input, true)
    try {
      return await observeRun(services, 'create', id, async () => await enrollCampaign(db, id, enrollOptions(services), clientId))
    } catch (error) {
      // The campaign is committed: failing now would release the Idempotency-Key and a retry
      // would create a second campaign. It answers as created, with what is left for the tick.
      services.logger?.warn({ err: error, campaignId: id }, 'enrollment of a new campaign broke off; the activation tick continues it')
      return await interruptedRun(db, id)
    }
  })
  const warning = warningFor(run)
  return {
    ...toCampaign(await requireCampaign(db, clientId, id)),
    enrollment: { totalMatching: run.totalMatching, enrolled: run.enrolled },
    ...(warning !== undefined ? { warning } : {})
  }
}

const SAMPLE_SIZE = 10

export async function previewCampaign (db: Database, clientId: string, input: PreviewInput): Promise<Preview> {
  assertCampaignRules(input)
  const targeting = input.targeting ?? {}
  const cap = input.maxLeadsToEnroll ?? Infinity
  // One snapshot, so the sample is the head of what was counted: leads that would be enrolled,
  // so never more than the cap. No sample to look for when nobody is eligible (that search would
  // walk the whole audience).
  const { counts, sample } = await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async tx => {
    const counts = await countAudience(tx, clientId, targeting)
    return { counts, sample: counts.totalMatching === 0 ? [] : await sampleAudience(tx, clientId, targeting, Math.min(SAMPLE_SIZE, cap)) }
  })
  return {
    totalMatching: counts.totalMatching,
    wouldEnroll: Math.min(counts.totalMatching, cap),
    excluded: { optedOut: counts.optedOut, activeElsewhere: counts.activeElsewhere },
    sample: sample.map(toLead)
  }
}

export async function patchCampaign (db: Database, clientId: string, id: string, patch: CampaignPatch): Promise<Campaign> {
  assertCampaignRules(patch)
  return await db.transaction().execute(async tx => {
    const row = await findCampaign(tx, clientId, id, { forUpdate: true })
    if (row === undefined) throw notFound('campaign')
    if (row.status !== 'scheduled') throw conflict(`only a scheduled campaign can be changed; this one is ${row.status}`, 'campaign-not-scheduled')
    return toCampaign(await updateScheduledCampaign(tx, id, patch))
  })
}

/** Scheduled: never activates. Active: its active enrollments stop at once. */
export async function cancelCampaign ({ db, config }: CampaignServices, clientId: string, id: string): Promise<Campaign> {
  return await db.transaction().execute(async tx => {
    await lockClient(tx, clientId)
    const row = await findCampaign(tx, clientId, id, { forUpdate: true })
    if (row === undefined) throw notFound('campaign')
    if (row.status === 'cancelled') return toCampaign(row)
    if (row.status !== 'scheduled' && row.status !== 'active') throw conflict(`this campaign is ${row.status} and cannot be cancelled`, 'campaign-ended')
    const cancelled = await setCampaignStatus(tx, id, 'cancelled')
    await stopEnrollmentsOfCampaign(tx, clientId, id, config)
    return toCampaign(cancelled)
  })
}

/** Tops up an active campaign with leads that match now, up to its cap. */
export async function enrollMore (services: CampaignServices, clientId: string, id: string): Promise<EnrollResult> {
  const { db } = services
  const row = await requireCampaign(db, clientId, id)
  if (row.status !== 'active') throw conflict(`only an active campaign can enroll; this one is ${row.status}`, 'campaign-not-active')
  // Waits while the tick (or another top-up) is enrolling this campaign, then enrolls what is
  // left, if the campaign is still active (it may have been cancelled or completed meanwhile).
  const run = await runLocked(services, id, async () => {
    const now = await requireCampaign(db, clientId, id)
    if (now.status !== 'active') throw conflict(`only an active campaign can enroll; this one is ${now.status}`, 'campaign-not-active')
    return await observeRun(services, 'top_up', id, async () => await enrollCampaign(db, id, enrollOptions(services), clientId))
  })
  const warning = warningFor(run)
  return { enrolled: run.enrolled, totalMatching: run.totalMatching, leadsEnrolled: run.leadsEnrolled, ...(warning !== undefined ? { warning } : {}) }
}
