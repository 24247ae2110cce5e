import type { Logger } from 'pino'
import type { Config } from './config.js'
import { startEmbeddedPostgres } from './db/embedded-postgres.js'

/** DATABASE_URL, or the URL of the embedded cluster started (or found running) under EMBEDDED_DATA_DIR. */
export async function resolveDatabaseUrl (config: Config, logger: Logger): Promise<{ url: string, stop: () => Promise<void> }> {
  if (config.DATABASE_URL !== undefined) return { url: config.DATABASE_URL, stop: async () => {} }
  logger.info('DATABASE_URL is not set: using the embedded PostgreSQL (zero-configuration mode)')
  return await startEmbeddedPostgres(config.EMBEDDED_DATA_DIR, message => { logger.info(message) })
}
