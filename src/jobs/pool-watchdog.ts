import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import type { EnhancedWithPgClient, TaskList, WorkerPool } from 'graphile-worker'
import type { CompiledSharedOptions } from 'graphile-worker/dist/lib.js'
// Not exported by graphile-worker's index: the function every job fetch starts with (0.17.x).
import { getTaskDetails } from 'graphile-worker/dist/taskIdentifiers.js'
import type { Logger } from 'pino'

// Two graphile-worker 0.17 defects (still in its main branch) that leave a worker pool alive
// but useless, with nothing reported: the service works around both.
//
// 1. Its completion batcher counts pending calls; after the first failed batch (the database is
//    gone) it keeps a "backpressure" marker that it never clears, and every later batch is then
//    counted down twice. A pool shutting down waits for that count to reach zero, which it never
//    does once a second job finished after the failure: the pool never ends, so it is never
//    restarted, and its jobs stay locked.
// 2. Its lookup of the task ids is cached on first use, failed or not: if it fails (the database
//    answering late at start-up), every fetch of that runner fails at once with the same error,
//    forever, while the pool looks alive.

/** How long the pool's connections must all be idle, its workers stopped, before a pool still shutting down is deemed stuck. */
const STUCK_AFTER_IDLE_MS = 1000

async function idleFor (pool: pg.Pool, ms: number, done: () => boolean): Promise<void> {
  let idleSince = Date.now()
  while (!done()) {
    if (pool.waitingCount > 0 || pool.idleCount < pool.totalCount) idleSince = Date.now()
    else if (Date.now() - idleSince >= ms) return
    await sleep(50)
  }
}

/**
 * A plugin ending a pool's graceful shutdown once nothing of it can still be running: every
 * worker stopped and no connection of its pg pool in use (every outcome it still had to record
 * was tried: the batcher's calls each have a deadline). What is left then is the batcher's
 * wrong count (1.); the pool ends, with its unrecorded jobs still locked, for the liveness
 * sweep to free them.
 */
export function stuckShutdownPlugin (pool: pg.Pool, log: Logger): GraphileConfig.Plugin {
  return {
    name: 'CampaignServiceStuckShutdown',
    version: '1.0.0',
    worker: {
      middleware: {
        poolGracefulShutdown: async (next, { workerPool }) => {
          const workers = [...workerPool._workers]
          let done = false
          const shutdown = Promise.resolve(next()).finally(() => { done = true })
          const stuck = (async () => {
            await Promise.allSettled(workers.map(async worker => { await worker.promise }))
            await idleFor(pool, STUCK_AFTER_IDLE_MS, () => done)
          })()
          await Promise.race([shutdown, stuck])
          if (done) return await shutdown
          shutdown.catch(() => {})
          log.warn({ workerPool: workerPool.id }, 'job worker pool did not finish shutting down after its workers stopped (graphile-worker lost count of its completion batches); ending it')
        }
      }
    }
  }
}

/**
 * Makes graphile-worker look up (and cache) the task ids before the pool's first fetch, where a
 * failure can be seen (2.): it rejects if the lookup failed, and that runner must be replaced.
 */
export async function lookUpTaskIds (workerCtx: unknown, workerPool: WorkerPool, tasks: TaskList): Promise<void> {
  await getTaskDetails(workerCtx as CompiledSharedOptions, workerPool._withPgClient as EnhancedWithPgClient, tasks)
}
