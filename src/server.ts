import { buildApps } from './app.js'
import { loadConfigOrExit } from './config.js'
import { createContext } from './context.js'
import { resolveDatabaseUrl } from './database-url.js'
import { migrateToLatest } from './db/migrator.js'
import { createLogger } from './logger.js'
import { exitGracefullyOnSignals } from './shutdown.js'

async function main (): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger(config)
  const database = await resolveDatabaseUrl(config, logger)
  const ctx = createContext(config, logger, database.url)
  ctx.onClose(database.stop)
  if (config.MIGRATE_ON_START) {
    const { applied } = await migrateToLatest(ctx.db, database.url)
    logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database schema is up to date')
  }
  if (config.REDIS_URL === undefined) logger.warn('REDIS_URL is not set: rate limits are kept per process, not shared by replicas')
  const { api, internal } = await buildApps(ctx)
  await internal.listen({ port: config.INTERNAL_PORT, host: config.HOST })
  await api.listen({ port: config.PORT, host: config.HOST })
  if (config.embeddedDatabase && config.ADMIN_API_KEY === undefined) {
    logger.info('first time here? create a client and its API key with: npm run cli -- create-client "Acme"  (see README: API tour)')
  }

  exitGracefullyOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, 'no new requests, finishing those in flight', async () => {
    ctx.beginShutdown()
    await Promise.all([api.close(), internal.close()])
    await ctx.close()
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`campaign-service failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
