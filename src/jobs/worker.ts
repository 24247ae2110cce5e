import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Logger as WorkerLogger, run, type LogLevel, type Runner, type RunnerOptions, type TaskList, type WorkerEvents } from 'graphile-worker'
import pg from 'pg'
import type { Logger } from 'pino'
import { createAirtableTasks } from '../airtable/sync-task.js'
import type { AppContext } from '../context.js'
import { configuredTimeouts, createPool } from '../db/pool.js'
import { openPoolLiveness, unlockJobsOfDeadPools, type PoolLiveness } from './pool-liveness.js'
import { lookUpTaskIds, stuckShutdownPlugin } from './pool-watchdog.js'

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
/** How often a worker frees the jobs of worker pools that died elsewhere (it also does at every start). */
const SWEEP_INTERVAL_MS = 10_000

interface Launched { runner: Runner, liveness: PoolLiveness, retiring: boolean }

/**
 * Runs the job queue (graphile-worker) for every task a feature provides: today the Airtable
 * mirror. Uses its own small pool (a LISTEN connection plus one per concurrent job) so jobs
 * never starve the API of connections.
 *
 * A database outage must not take the process down, nor leave jobs locked for graphile-worker's
 * 4 h: its job completions are batched (a failed one is handled by graphile-worker, which then
 * shuts its worker pool down instead of leaving an unhandled rejection), the runner is started
 * again whenever it stops on its own or can no longer fetch jobs (pool-watchdog.ts), and each
 * pool holds a liveness lock so that any worker frees the jobs of a pool that is gone, be it
 * ours or one of a process that was killed (pool-liveness.ts), at start and every 10 s.
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
  // A LISTEN connection, one per concurrent job, one for its lock sweep and one for ours.
  const pool = createPool({ connectionString: ctx.databaseUrl, max: concurrency + 3, applicationName: 'campaign-service-worker', connectTimeoutMs: 5000, timeouts })

  let current: Launched | undefined
  let stopping = false
  const wake = new AbortController()

  const sweep = async (): Promise<void> => {
    const owners = await unlockJobsOfDeadPools(pool)
    if (owners.length > 0) log.info({ workerPools: owners }, 'unlocked the jobs of worker pools that are gone')
  }
  // Options (and so graphile-worker's compiled options and caches) are new for every runner.
  const runnerOptions = (events: WorkerEvents, gate: () => Promise<null>): RunnerOptions => ({
    pgPool: pool,
    concurrency,
    pollInterval: ctx.config.WORKER_POLL_INTERVAL_MS,
    noHandleSignals: true, // the process entry owns SIGTERM and stops us through ctx.onClose
    parsedCronItems: [], // no cron: the activation tick is the CronJob's (else it looks for ./crontab)
    taskList,
    events,
    logger: workerLogger(log),
    // Asked before every job fetch: no job is taken before the pool holds its liveness lock.
    forbiddenFlags: gate,
    // Unbatched, graphile-worker 0.17 records a job's outcome without awaiting it: with the
    // database gone that rejection is unhandled. Batched, its failure is handled.
    preset: { plugins: [stuckShutdownPlugin(pool, log)], worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
  })
  // Stops a runner that can no longer do its work; it is then started again like one that stopped.
  const retire = (launched: Launched, why: string, error: Error): void => {
    if (launched.retiring || stopping) return
    launched.retiring = true
    log.warn({ err: { message: error.message } }, `job worker ${why}; stopping it to start a new one`)
    void launched.runner.stop().catch(() => {})
  }
  const launch = async (): Promise<void> => {
    const liveness = await openPoolLiveness(ctx.databaseUrl)
    try {
      // The pools that died while we were not running, our previous one included (else the next sweep).
      await sweep().catch((error: Error) => { log.warn({ err: { message: error.message } }, 'could not look for jobs of dead worker pools') })
      const events: WorkerEvents = new EventEmitter()
      let held: Promise<null> | undefined
      let lost: Error | undefined
      events.on('pool:create', ({ ctx: workerCtx, workerPool }) => {
        held = liveness.hold(workerPool.id).then(async () => { await lookUpTaskIds(workerCtx, workerPool, taskList); return null })
        held.catch(() => {}) // awaited by every fetch
      })
      // A pool that lost its lock takes no more jobs: other workers may free them at any time.
      const gate = async (): Promise<null> => {
        if (lost !== undefined) throw lost
        return await (held ?? Promise.reject(new Error('the worker pool was not created')))
      }
      const runner = await run(runnerOptions(events, gate))
      const launched: Launched = { runner, liveness, retiring: false }
      current = launched
      // A lock or lookup that failed fails every fetch of this runner: a new one is needed.
      held?.catch((error: Error) => { retire(launched, 'could not start fetching jobs', error) })
      liveness.onLost(error => {
        lost = error
        retire(launched, 'lost its liveness lock', error)
      })
      runner.promise.then(() => { void supervise(launched, undefined) }, (error: unknown) => { void supervise(launched, error) })
    } catch (error) {
      await liveness.end()
      throw error
    }
  }
  // The runner stopped without being asked to (a database outage): start it again once it can.
  const supervise = async (stopped: Launched, error: unknown): Promise<void> => {
    await stopped.liveness.end() // its jobs not recorded are anyone's now
    if (stopping || current !== stopped) return
    current = undefined
    if (stopped.retiring) log.info('job worker stopped; restarting it')
    else log.warn({ err: { message: error instanceof Error ? error.message : (error === undefined ? 'its worker pool ended' : String(error as string)) } }, 'job worker stopped on its own; restarting it')
    for (let attempt = 0; !stopping; attempt++) {
      await sleep(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)] ?? 5000, undefined, { signal: wake.signal }).catch(() => {})
      if (stopping) return
      try {
        await launch()
        if (stopping) await (current as Launched | undefined)?.runner.stop().catch(() => {})
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
  let sweeping = false
  const sweeper = setInterval(() => {
    if (sweeping || current === undefined) return
    sweeping = true
    sweep().catch((error: Error) => { log.debug({ err: { message: error.message } }, 'could not look for jobs of dead worker pools') }).finally(() => { sweeping = false })
  }, SWEEP_INTERVAL_MS)
  sweeper.unref()
  log.info({ tasks: Object.keys(taskList), concurrency }, 'job worker started')
  return {
    stop: async () => {
      stopping = true
      wake.abort()
      clearInterval(sweeper)
      const last = current
      if (last !== undefined) {
        void last.runner.stop().catch(() => {})
        await last.runner.promise.catch(() => {})
      }
      await settled(pool)
      await Promise.all([last?.liveness.end(), pool.end(), airtable?.close()])
    }
  }
}
