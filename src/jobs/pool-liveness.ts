import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'

// graphile-worker marks the jobs a worker pool runs with the pool's id (jobs.locked_by =
// workerPool.id) and frees them only when the pool records their outcome; a pool whose process
// died leaves them locked for 4 h. So each pool holds a session advisory lock keyed to its id, on
// a connection of its own, from before it takes its first job until it has ended. PostgreSQL
// drops the lock when that session ends, so a process that was killed (or lost its database
// connection) releases it at once, and any worker can tell that the owner of a locked job is
// gone. A pool id is random and locked once: an owner seen without its lock never comes back.

const key = (poolId: string): string => `graphile-worker-pool:${poolId}`

export interface PoolLiveness {
  /** Takes the lock of `poolId` (before the pool takes any job); rejects if it cannot. */
  hold: (poolId: string) => Promise<void>
  /** Called once if the session (and with it the lock) is lost while not ended by us. */
  onLost: (listener: (error: Error) => void) => void
  /** Ends the session, releasing the lock. */
  end: () => Promise<void>
}

export async function openPoolLiveness (connectionString: string): Promise<PoolLiveness> {
  const client = new pg.Client({ connectionString, application_name: 'campaign-service-worker-liveness', keepAlive: true, connectionTimeoutMillis: 5000, query_timeout: 5000 })
  let ended = false
  let lost: ((error: Error) => void) | undefined
  const loseOnce = (error: Error): void => {
    if (ended) return
    ended = true
    lost?.(error)
  }
  client.on('error', loseOnce)
  client.on('end', () => { loseOnce(new Error('the liveness connection ended')) })
  await client.connect()
  return {
    hold: async poolId => {
      const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as held', [key(poolId)])
      if (rows[0]?.held !== true) throw new Error(`the liveness lock of worker pool ${poolId} is taken`)
    },
    onLost: listener => { lost = listener },
    end: async () => {
      ended = true
      // A stalled server never answers the goodbye: the session then ends when the socket does.
      await Promise.race([client.end().catch(() => {}), sleep(1000)])
    }
  }
}

/**
 * Unlocks (graphile-worker's force_unlock_workers) the jobs of every worker pool that no longer
 * holds its liveness lock in this database; returns those pools' ids. A live pool took its lock
 * before locking a job, so the jobs read here were locked while it held it. Reads the jobs table
 * itself: the public view joins the task table, which a stuck task lookup may hold locked.
 */
export async function unlockJobsOfDeadPools (pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ owners: string[] }>(`
    with owners as (
      select distinct locked_by as owner, hashtextextended('graphile-worker-pool:' || locked_by, 0) as k
      from graphile_worker._private_jobs where locked_by is not null
    ), dead as (
      select owner from owners o
      where not exists (
        select 1 from pg_locks l
        where l.locktype = 'advisory' and l.granted and l.objsubid = 1
          and l.database = (select oid from pg_database where datname = current_database())
          and l.classid = ((o.k >> 32) & 4294967295)::oid and l.objid = (o.k & 4294967295)::oid)
    )
    select coalesce(array_agg(owner), '{}') as owners from dead`)
  const owners = rows[0]?.owners ?? []
  if (owners.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [owners])
  return owners
}
