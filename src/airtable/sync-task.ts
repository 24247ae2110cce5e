import { setMaxListeners } from 'node:events'
import type { JobHelpers, Task } from 'graphile-worker'
import Type from 'typebox'
import Value from 'typebox/value'
import type { AppContext } from '../context.js'
import { AirtableWriteError, createAirtableWriter, type AirtableRecordUpdate } from './client.js'
import { airtableMetrics } from './metrics.js'
import { RATE_LIMIT_PAUSE_MS, createBaseRateLimiter, type BaseRateLimiter } from './rate-limiter.js'
import { insertSyncFailure, readLeadSyncState, resolveSyncFailures, type LeadSyncState } from './repository.js'
import { SettingsUnreadableError, clientAirtable, type ClientAirtable } from './settings-service.js'
import { AIRTABLE_BATCH_SIZE, AIRTABLE_SYNC_TASK, LEADS_WITHOUT_CAMPAIGN, syncJobKeyPrefix, type AirtableSyncPayload } from './sync-queue.js'

// Payloads come from the database: checked at run time, not trusted by type.
const Payload = Type.Object({
  clientId: Type.String({ format: 'uuid' }),
  campaignId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  leadIds: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: AIRTABLE_BATCH_SIZE }),
  priorAttempts: Type.Optional(Type.Integer({ minimum: 0 }))
})

type Deps = Pick<AppContext, 'db' | 'config' | 'metrics' | 'secrets'> & { limiter: BaseRateLimiter }

function toRecords (config: AppContext['config'], states: LeadSyncState[]): AirtableRecordUpdate[] {
  const seen = new Set<string>()
  // Two leads pointing at one Airtable record would make Airtable refuse the whole batch.
  return states.filter(s => !seen.has(s.recordId) && seen.add(s.recordId)).map(s => ({
    id: s.recordId,
    // A lead never enrolled has only its checkbox to mirror; the record's other fields are left
    // as they are (a PATCH changes only the fields it names).
    fields: s.campaignName === null || s.status === null || s.enrolledAt === null
      ? { [config.AIRTABLE_FIELD_OPTED_OUT]: s.optedOut }
      : {
          [config.AIRTABLE_FIELD_CAMPAIGN]: s.campaignName,
          [config.AIRTABLE_FIELD_STATUS]: s.status,
          [config.AIRTABLE_FIELD_ENROLLED_AT]: s.enrolledAt.toISOString(),
          [config.AIRTABLE_FIELD_OPTED_OUT]: s.optedOut
        }
  }))
}

/** One job per lead of a refused batch, each with the attempts the batch had left. */
async function splitIntoSingleLeads (job: AirtableSyncPayload, helpers: JobHelpers): Promise<void> {
  for (const leadId of job.leadIds) {
    await helpers.addJob(AIRTABLE_SYNC_TASK, { ...job, leadIds: [leadId] }, {
      jobKey: `${syncJobKeyPrefix(job.clientId)}${job.campaignId ?? LEADS_WITHOUT_CAMPAIGN}:lead:${leadId}`, jobKeyMode: 'replace', maxAttempts: helpers.job.max_attempts
    })
  }
}

/**
 * Two jobs for one lead may run at once (other worker slots, other replicas), and the one that
 * read the older state may write last. So after writing, read again: a lead whose state moved
 * since gets a job of its own, which writes the state as of then (each state change also queues
 * one, so the last write always reflects the last state).
 */
async function followUpIfChanged (deps: Deps, job: AirtableSyncPayload, written: AirtableRecordUpdate[], helpers: JobHelpers): Promise<void> {
  const sent = new Map(written.map(record => [record.id, JSON.stringify(record.fields)]))
  const now = await readLeadSyncState(deps.db, job.clientId, job.leadIds)
  const changed = now.filter(state => {
    const [record] = toRecords(deps.config, [state])
    return record !== undefined && sent.get(record.id) !== JSON.stringify(record.fields)
  }).map(state => state.leadId)
  if (changed.length === 0) return
  await helpers.addJob(AIRTABLE_SYNC_TASK, { ...job, leadIds: changed }, { maxAttempts: helpers.job.max_attempts })
  helpers.logger.info(`Airtable state of ${changed.length} lead(s) changed while being written; queued again`)
}

/** Attempts this batch has used, counting those of the jobs it was re-added from after a 429. */
const attemptsUsed = (job: AirtableSyncPayload, helpers: JobHelpers): number => (job.priorAttempts ?? 0) + helpers.job.attempts

/**
 * After a 429 the next attempt must come after Airtable's 30 s penalty. graphile-worker's public
 * API cannot move a running job (reschedule_jobs skips locked ones) and its private tables are
 * not ours to write, so this attempt ends and the batch is added again under its key,
 * to run after the pause plus the usual backoff, with the attempts it has left: it is still kept
 * as failed after AIRTABLE_MAX_ATTEMPTS in all.
 */
async function retryAfterPause (job: AirtableSyncPayload, helpers: JobHelpers): Promise<void> {
  const backoffMs = Math.exp(Math.min(helpers.job.attempts, 10)) * 1000 // graphile-worker's own curve
  await helpers.addJob(AIRTABLE_SYNC_TASK, { ...job, priorAttempts: attemptsUsed(job, helpers) }, {
    runAt: new Date(Date.now() + RATE_LIMIT_PAUSE_MS + backoffMs),
    jobKey: helpers.job.key ?? undefined,
    jobKeyMode: 'replace',
    maxAttempts: helpers.job.max_attempts - helpers.job.attempts
  })
}

/** Shutdown interrupted the wait for a slot before anything was sent: put the job back untouched. */
async function requeue (job: AirtableSyncPayload, helpers: JobHelpers): Promise<void> {
  await helpers.addJob(AIRTABLE_SYNC_TASK, job, {
    jobKey: helpers.job.key ?? undefined, jobKeyMode: 'preserve_run_at', maxAttempts: helpers.job.max_attempts
  })
}

export function createSyncTask (deps: Deps): Task {
  const metrics = airtableMetrics(deps)
  return async (payload, helpers) => {
    if (!Value.Check(Payload, payload)) {
      helpers.logger.error('airtable_sync job with an invalid payload was skipped')
      return
    }
    const job: AirtableSyncPayload = payload
    let written: number
    let settings: ClientAirtable | undefined
    // Every job of the pool waits on this one signal; many waiting for a slot is expected.
    setMaxListeners(0, helpers.abortSignal)
    try {
      // Read, then take the slot right before sending: a read (or a wait for a connection)
      // between the grant and the request let more than the rate through across replicas.
      // The client's settings as of this attempt: changed while the job waited, the new ones apply.
      settings = await clientAirtable(deps, job.clientId)
      if (settings === undefined) {
        metrics.jobsDropped.inc({ reason: 'no_settings' }) // the mirror was stopped (DELETE)
        return
      }
      const states = await readLeadSyncState(deps.db, job.clientId, job.leadIds)
      if (states.length === 0) return
      const records = toRecords(deps.config, states)
      await deps.limiter.acquire(settings.baseId, helpers.abortSignal)
      await createAirtableWriter(deps.config, settings).update(records)
      written = records.length
      await resolveSyncFailures(deps.db, job.clientId, states.map(s => s.leadId))
      await followUpIfChanged(deps, job, records, helpers)
    } catch (error) {
      if (error instanceof SettingsUnreadableError) {
        await insertSyncFailure(deps.db, job, attemptsUsed(job, helpers), `configuration: ${error.message}`, true)
        metrics.batchesFailed.inc()
        helpers.logger.error(`Airtable sync batch kept as failed: ${error.message}`)
        return
      }
      if (helpers.abortSignal.aborted && !(error instanceof AirtableWriteError)) return await requeue(job, helpers)
      if (!(error instanceof AirtableWriteError)) {
        // Database trouble: a plain graphile-worker retry; on the last attempt the batch is kept
        // as failed like any other, never left only in graphile-worker's table.
        if (helpers.job.attempts >= helpers.job.max_attempts) {
          await insertSyncFailure(deps.db, job, attemptsUsed(job, helpers), `could not sync: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`)
          metrics.batchesFailed.inc()
          return
        }
        throw error
      }
      if (error.rateLimited && settings !== undefined) await deps.limiter.pause(settings.baseId, RATE_LIMIT_PAUSE_MS)
      if (error.configuration) {
        // Every batch of the client would fail the same way: kept, not retried, until a PUT of
        // new settings queues it again (or POST /v1/sync/failures/{id}/retry).
        await insertSyncFailure(deps.db, job, attemptsUsed(job, helpers), error.message, true)
        metrics.batchesFailed.inc()
        helpers.logger.warn(`Airtable refused client ${job.clientId}'s settings; batch kept as failed: ${error.message}`)
        return
      }
      if (error.permanent && job.leadIds.length > 1) {
        // One bad record fails the whole request: send each lead on its own, so the others
        // sync and only the bad one is kept as failed.
        await splitIntoSingleLeads(job, helpers)
        metrics.retries.inc({ reason: 'split' })
        helpers.logger.warn(`Airtable refused a batch of ${job.leadIds.length}; retrying its leads one by one: ${error.message}`)
        return
      }
      if (error.permanent || helpers.job.attempts >= helpers.job.max_attempts) {
        await insertSyncFailure(deps.db, job, attemptsUsed(job, helpers), error.message)
        metrics.batchesFailed.inc()
        helpers.logger.warn(`Airtable sync batch kept as failed after ${attemptsUsed(job, helpers)} attempts: ${error.message}`)
        return
      }
      if (error.rateLimited) {
        // Airtable refuses every request for 30 s after a 429; the next attempt comes after that.
        await retryAfterPause(job, helpers)
        metrics.retries.inc({ reason: 'rate_limited' })
        helpers.logger.warn(`${error.message}: batch queued again after the ${RATE_LIMIT_PAUSE_MS / 1000} s pause`)
        return
      }
      metrics.retries.inc({ reason: 'error' })
      throw error // graphile-worker retries with exponential backoff (e^attempts seconds)
    }
    metrics.batchesSynced.inc()
    metrics.recordsSynced.inc(written)
  }
}

/**
 * The Airtable tasks for the worker. Always present: any client may have settings (or jobs
 * queued before its settings were removed, which end as no-ops). One rate limiter serves every
 * base, keyed by base id.
 */
export async function createAirtableTasks (ctx: AppContext): Promise<{ tasks: Record<string, Task>, close: () => Promise<void> }> {
  const limiter = await createBaseRateLimiter({ redis: ctx.redis, requestsPerSecond: ctx.config.AIRTABLE_REQUESTS_PER_SECOND })
  const task = createSyncTask({ db: ctx.db, config: ctx.config, metrics: ctx.metrics, secrets: ctx.secrets, limiter })
  return { tasks: { [AIRTABLE_SYNC_TASK]: task }, close: limiter.close }
}
