import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Logger as WorkerLogger, run, type LogLevel, type Runner, type RunnerOptions, type TaskList, type WorkerEvents } from 'graphile-worker'
import pg from 'pg'
import type { Logger } from 'pino'
import { createAirtableTasks } from '../airtable/sync-task.js'
import type { AppContext } from '../context.js'
import { configuredTimeouts, createPool } from '../db/pool.js'

export interface JobWorker {
  /** Finishes the jobs in flight (interrupting waits after a few seconds), then releases everything. */
  stop: () => Promise<void>
}

// graphile-worker's log lines go through the service's pino logger; a job that failed and
// will be retried is a warning, not an error.
function workerLogger (log: Logger): WorkerLogger {
  return new WorkerLogger(() => (logLevel, message, meta) => {
    // The enum is type-only here: graphile-worker is CommonJS and node's ESM loader cannot see it.
    const level: `${LogLevel}` = logLevel
    if (level === 'error') log[meta?.failure === true ? 'warn' : 'error'](message)
    else if (level === 'warning') log.warn(message)
    else log[level](message)
  })
}

/**
 * graphile-worker's stop() resolves before the last jobs' completion queries have run; ending
 * the pool then would lose them (a finished job would stay locked, and be run again in 4 h).
 */
async function settled (pool: pg.Pool, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((pool.waitingCount > 0 || pool.idleCount < pool.totalCount) && Date.now() < deadline) await sleep(10)
}

const RESTART_DELAYS_MS = [500, 1000, 2000, 5000]

/**
 * Runs the job queue (graphile-worker) for every task a feature provides: today the Airtable
 * mirror. Uses its own small pool (a LISTEN connection plus one per concurrent job) so jobs
 * never starve the API of connections.
 *
 * A database outage must not take the process down, nor leave jobs locked for graphile-worker's
 * 4 h: its job completions are batched (a failed one is handled by graphile-worker, which then
 * shuts its worker pool down instead of leaving an unhandled rejection), the runner is started
 * again whenever it stops on its own, and the jobs the stopped pool still had locked are
 * unlocked (graphile-worker's force_unlock_workers) before the new one starts.
 */
export async function startWorker (ctx: AppContext): Promise<JobWorker> {
  const airtable = await createAirtableTasks(ctx)
  const taskList: TaskList = { ...airtable?.tasks }
  if (Object.keys(taskList).length === 0) {
    ctx.logger.info('job worker not started: no job type is configured (Airtable sync is off)')
    return { stop: async () => {} }
  }
  const log = ctx.logger.child({ component: 'worker' })
  const concurrency = ctx.config.WORKER_CONCURRENCY
  const timeouts = configuredTimeouts(ctx.config)
  // Our pool rather than graphile-worker's: its own is ended without waiting on stop, and a
  // connection dropped after that (database restart) would be an unhandled 'error' event.
  const pool = createPool({ connectionString: ctx.databaseUrl, max: concurrency + 2, applicationName: 'campaign-service-worker', connectTimeoutMs: 5000, timeouts })
  const events: WorkerEvents = new EventEmitter()
  // Worker pools that stopped with jobs possibly still locked by them.
  const deadPools = new Set<string>()
  let poolId: string | undefined
  events.on('pool:create', ({ workerPool }) => { poolId = workerPool.id })
  const options: RunnerOptions = {
    pgPool: pool,
    concurrency,
    pollInterval: ctx.config.WORKER_POLL_INTERVAL_MS,
    noHandleSignals: true, // the process entry owns SIGTERM and stops us through ctx.onClose
    parsedCronItems: [], // no cron: the activation tick is the CronJob's (else it looks for ./crontab)
    taskList,
    events,
    logger: workerLogger(log),
    // Unbatched, graphile-worker 0.17 records a job's outcome without awaiting it: with the
    // database gone that rejection is unhandled. Batched, its failure is handled.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
  }

  let runner: Runner | undefined
  let stopping = false
  const wake = new AbortController()
  const unlockDeadPools = async (): Promise<void> => {
    if (deadPools.size === 0) return
    const ids = [...deadPools]
    await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids])
    for (const id of ids) deadPools.delete(id)
    log.info({ workerPools: ids }, 'unlocked the jobs of a stopped worker pool')
  }
  const launch = async (): Promise<void> => {
    await unlockDeadPools()
    const started = await run(options)
    runner = started
    started.promise.then(() => { void supervise(started, undefined) }, (error: unknown) => { void supervise(started, error) })
  }
  // The runner stopped without being asked to (a database outage): start it again once it can.
  const supervise = async (stoppedRunner: Runner, error: unknown): Promise<void> => {
    if (stopping || runner !== stoppedRunner) return
    runner = undefined
    if (poolId !== undefined) deadPools.add(poolId)
    log.warn({ err: { message: error instanceof Error ? error.message : (error === undefined ? 'its worker pool ended' : String(error as string)) } }, 'job worker stopped on its own; restarting it')
    for (let attempt = 0; !stopping; attempt++) {
      await sleep(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)] ?? 5000, undefined, { signal: wake.signal }).catch(() => {})
      if (stopping) return
      try {
        await launch()
        if (stopping) await (runner as Runner | undefined)?.stop().catch(() => {})
        else log.info('job worker restarted')
        return
      } catch (restartError) {
        if (attempt === 0) log.warn({ err: { message: (restartError as Error).message } }, 'job worker cannot restart yet; retrying')
      }
    }
  }

  try {
    await launch()
  } catch (error) {
    await Promise.all([pool.end(), airtable?.close()])
    throw error
  }
  log.info({ tasks: Object.keys(taskList), concurrency }, 'job worker started')
  return {
    stop: async () => {
      stopping = true
      wake.abort()
      await runner?.stop().catch(() => {})
      await settled(pool)
      await Promise.all([pool.end(), airtable?.close()])
    }
  }
}
