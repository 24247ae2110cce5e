import type { Test } from 'tap'
import { clientLockKey } from '../../src/db/locks.js'
import type { TestApp } from './app.js'

/** Holds a client's advisory lock in an open transaction until `release()` (or the test's end). */
export async function holdClientLock (t: Test, app: TestApp, clientId: string): Promise<{ release: () => Promise<void> }> {
  const holder = await app.ctx.pool.connect()
  t.teardown(() => { holder.release() })
  await holder.query('begin')
  await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [clientLockKey(clientId)])
  return { release: async () => { await holder.query('rollback') } }
}

/**
 * The pid of a backend of this database waiting on a lock, polled for up to 5 s; undefined if
 * none came. Asked on a pool connection of its own: inside an open transaction pg_stat_activity
 * would stay a snapshot.
 */
export async function lockWaiter (app: TestApp): Promise<number | undefined> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await app.ctx.pool.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")
    if (rows[0] !== undefined) return rows[0].pid
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return undefined
}
