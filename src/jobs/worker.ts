import { setTimeout as sleep } from 'node:timers/promises'
import { Logger as WorkerLogger, run, type LogLevel, type TaskList } from 'graphile-worker'
import pg from 'pg'
import type { Logger } from 'pino'
import { createAirtableTasks } from '../airtable/sync-task.js'
import type { AppContext } from '../context.js'

export interface JobWorker {
  /** Finishes the jobs in flight (interrupting waits after a few seconds), then releases everything. */
  stop: () => Promise<void>
}

// graphile-worker's log lines go through the service's pino logger; a job that failed and
// will be retried is a warning, not an error.
function workerLogger (logger: Logger): WorkerLogger {
  const log = logger.child({ component: 'worker' })
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

/**
 * Runs the job queue (graphile-worker) for every task a feature provides: today the Airtable
 * mirror. Uses its own small pool (a LISTEN connection plus one per concurrent job) so jobs
 * never starve the API of connections.
 */
export async function startWorker (ctx: AppContext): Promise<JobWorker> {
  const airtable = await createAirtableTasks(ctx)
  const taskList: TaskList = { ...airtable?.tasks }
  if (Object.keys(taskList).length === 0) {
    ctx.logger.info('job worker not started: no job type is configured (Airtable sync is off)')
    return { stop: async () => {} }
  }
  const concurrency = ctx.config.WORKER_CONCURRENCY
  // Our pool rather than graphile-worker's: its own is ended without waiting on stop, and a
  // connection dropped after that (database restart) would be an unhandled 'error' event.
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: concurrency + 2, application_name: 'campaign-service-worker' })
  // A dropped connection surfaces on the next query (and the job retries); never as a crash.
  pool.on('error', () => {})
  pool.on('connect', client => { client.on('error', () => {}) })
  const runner = await run({
    pgPool: pool,
    concurrency,
    pollInterval: ctx.config.WORKER_POLL_INTERVAL_MS,
    noHandleSignals: true, // the process entry owns SIGTERM and stops us through ctx.onClose
    parsedCronItems: [], // no cron: the activation tick is the CronJob's (else it looks for ./crontab)
    taskList,
    logger: workerLogger(ctx.logger)
  }).catch(async (error: unknown) => {
    await Promise.all([pool.end(), airtable?.close()])
    throw error
  })
  ctx.logger.info({ tasks: Object.keys(taskList), concurrency }, 'job worker started')
  return {
    stop: async () => {
      await runner.stop()
      await settled(pool)
      await Promise.all([pool.end(), airtable?.close()])
    }
  }
}
