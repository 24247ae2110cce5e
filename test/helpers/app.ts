import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { pino, type DestinationStream } from 'pino'
import { buildApps, type Apps } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createContext, type AppContext } from '../../src/context.js'
import { freshDatabase } from './postgres.js'

export const ADMIN_KEY = 'test-admin-key-0123456789'
export const CRON_SECRET = 'test-cron-secret-0123456789'
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface TestApp extends Apps {
  ctx: AppContext
  config: Config
  databaseUrl: string
  /** Creates a client through the admin API and returns its id and bearer headers. */
  createClient: (name?: string) => Promise<{ id: string, apiKey: string, headers: Record<string, string> }>
}

/**
 * Builds the service (both listeners, not listening) on a fresh database, or on `databaseUrl`
 * to run a second instance against the same database. Closed when the test ends.
 */
export async function buildTestApp (t: Test, options: { databaseUrl?: string, env?: Record<string, string | undefined>, logTo?: DestinationStream } = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? await freshDatabase(t)
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    ADMIN_API_KEY: ADMIN_KEY,
    CRON_SECRET,
    LOG_LEVEL: 'silent',
    WORKER_ENABLED: 'false',
    DATABASE_POOL_SIZE: '8',
    // Tests share the machine's Redis: every app gets its own keys unless told to share.
    RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}`,
    ...options.env
  })
  const logger = options.logTo !== undefined ? pino({ level: config.LOG_LEVEL }, options.logTo) : pino({ level: config.LOG_LEVEL })
  const ctx = createContext(config, logger, databaseUrl)
  const apps = await buildApps(ctx)
  ctx.apiKeys.start()
  t.teardown(async () => {
    await Promise.all([apps.api.close(), apps.internal.close()])
    await deleteKeys(ctx, config.RATE_LIMIT_KEY_PREFIX)
    await ctx.close()
  })
  const createClient = async (name = 'Test client') => {
    const response = await apps.api.inject({ method: 'POST', url: '/v1/admin/clients', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name } })
    if (response.statusCode !== 201) throw new Error(`creating a client failed: ${response.statusCode} ${response.body}`)
    const body = response.json<{ id: string, apiKey: string }>()
    return { id: body.id, apiKey: body.apiKey, headers: { authorization: `Bearer ${body.apiKey}` } }
  }
  return { ...apps, ctx, config, databaseUrl, createClient }
}

/** Removes the app's Redis keys; best effort, bounded (a test may have killed or frozen its Redis). */
async function deleteKeys (ctx: AppContext, prefix: string): Promise<void> {
  const redis = ctx.redis
  if (redis?.status !== 'ready') return
  const removal = (async () => {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]))
    }
  })().catch(() => {}) // the keys expire on their own anyway
  await Promise.race([removal, new Promise(resolve => setTimeout(resolve, 1000).unref())])
}
