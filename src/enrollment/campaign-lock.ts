import type pg from 'pg'
import { campaignLockKey } from '../db/locks.js'

const LOCK_POLL_MS = 100

/**
 * Runs `work` while holding the campaign's session advisory lock on a connection of its own
 * (the work itself uses other pool connections). Returns `skipped` when another caller, on
 * any replica, holds it — or, with `waitMs`, still holds it after that long. Every enrollment
 * run of a campaign (create, top-up, activation, continuation) holds it, so two runs never
 * overlap and each one's totals are its own. A connection whose unlock failed is destroyed,
 * which frees the lock.
 *
 * Waiting polls a try-lock and gives the connection back between tries: callers queued on one
 * busy campaign must not hold the whole lock pool and stall every other campaign's runs.
 */
export async function withCampaignLock<T> (pool: pg.Pool, campaignId: string, work: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T | 'skipped'> {
  const deadline = Date.now() + (options.waitMs ?? 0)
  for (;;) {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [campaignLockKey(campaignId)])
      if (rows[0]?.locked === true) {
        try {
          return await work()
        } finally {
          await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [campaignLockKey(campaignId)]).catch((error: Error) => { broken = error })
        }
      }
    } catch (error) {
      broken ??= error as Error
      throw error
    } finally {
      client.release(broken)
    }
    if (Date.now() >= deadline) return 'skipped'
    await new Promise(resolve => setTimeout(resolve, LOCK_POLL_MS))
  }
}
