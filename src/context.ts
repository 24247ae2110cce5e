import { Redis } from 'ioredis'
import pg from 'pg'
import type { Logger } from 'pino'
import { ApiKeyCache } from './auth/key-cache.js'
import type { Config } from './config.js'
import { createDatabase, type Database } from './db/database.js'
import { configuredTimeouts, createPool } from './db/pool.js'
import { createMetrics, type Metrics } from './observability/metrics.js'
import { createSecretBox, type SecretBox } from './secrets/secret-box.js'

/**
 * Everything both listeners (public and internal) share: one pool, one Redis client, one
 * metrics registry. Built once per process (and once per app instance in tests).
 */
export interface AppContext {
  config: Config
  logger: Logger
  databaseUrl: string
  db: Database
  pool: pg.Pool
  /**
   * Connections that only hold campaign session locks while an enrollment run works on `pool`.
   * Separate so lock holders can never take every connection their own work needs; a caller
   * waits here for its turn instead of timing out.
   */
  lockPool: pg.Pool
  /** Present when REDIS_URL is set. Fails fast while Redis is down (no offline queue). */
  redis: Redis | undefined
  metrics: Metrics
  /** API key → client, kept in process; idle until `start()` (the API server starts it). */
  apiKeys: ApiKeyCache
  /** Encrypts stored credentials; undefined when SECRETS_KEY is not set (storing one answers 503). */
  secrets: SecretBox | undefined
  /**
   * Aborted when shutdown begins: long work (an enrollment run, an activation tick) stops at its
   * next chunk and leaves the rest pending for the next tick, so in-flight requests finish
   * within the shutdown window.
   */
  stopping: AbortSignal
  beginShutdown: () => void
  /** Closers run in reverse order of registration by close(). */
  onClose: (closer: () => Promise<void>) => void
  close: () => Promise<void>
}

export function createContext (config: Config, logger: Logger, databaseUrl: string): AppContext {
  const timeouts = configuredTimeouts(config)
  const { db, pool } = createDatabase(databaseUrl, config.DATABASE_POOL_SIZE, timeouts)
  const closers: Array<() => Promise<void>> = []
  let redis: Redis | undefined
  if (config.REDIS_URL !== undefined) {
    // enableOfflineQueue: false makes commands fail at once while Redis is down, so the
    // rate limiter's in-process insurance takes over within a second instead of ~73 s.
    redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false })
    let down = false
    redis.on('error', (error: Error) => {
      if (!down) logger.warn({ err: { message: error.message } }, 'redis unavailable; falling back to per-process limits')
      down = true
    })
    redis.on('ready', () => {
      if (down) logger.info('redis reconnected')
      down = false
    })
    const client = redis
    closers.push(async () => { client.disconnect() })
  }
  // Losing a lock connection frees the campaign lock it holds; the run it guards goes on (the
  // client lock still keeps every chunk exact), so it is worth a warning, not a crash.
  const lockPool = createPool({
    connectionString: databaseUrl,
    max: config.DATABASE_POOL_SIZE,
    applicationName: 'campaign-service-locks',
    connectTimeoutMs: 10_000,
    timeouts,
    onClientError: error => { logger.warn({ err: { message: error.message } }, 'campaign lock connection lost') }
  })
  closers.push(async () => { await db.destroy() })
  closers.push(async () => { await lockPool.end() })
  const apiKeys = new ApiKeyCache({ databaseUrl, logger })
  closers.push(async () => { await apiKeys.stop() })
  const shutdown = new AbortController()
  return {
    config,
    logger,
    databaseUrl,
    db,
    pool,
    lockPool,
    redis,
    metrics: createMetrics(pool),
    apiKeys,
    secrets: config.SECRETS_KEY !== undefined ? createSecretBox(config.SECRETS_KEY, config.SECRETS_KEY_PREVIOUS) : undefined,
    stopping: shutdown.signal,
    beginShutdown: () => { shutdown.abort() },
    onClose: closer => { closers.push(closer) },
    close: async () => {
      for (const closer of closers.reverse()) {
        try { await closer() } catch (error) { logger.error({ err: error }, 'error while closing') }
      }
    }
  }
}
