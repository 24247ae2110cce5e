import { buildApps } from './app.js'
import { loadConfigOrExit } from './config.js'
import { createContext } from './context.js'
import { resolveDatabaseUrl } from './database-url.js'
import { waitForDatabase } from './db/database.js'
import { migrateWithoutDeadlines } from './db/migrator.js'
import { createLogger } from './logger.js'
import { withEmbeddedSecretsKey } from './secrets/embedded-key.js'
import { closeListeners, exitGracefullyOnSignals, logUnhandledRejections } from './shutdown.js'

async function main (): Promise<void> {
  // Zero-config mode keeps a generated SECRETS_KEY beside the embedded data.
  const config = withEmbeddedSecretsKey(loadConfigOrExit())
  const logger = createLogger(config)
  logUnhandledRejections(logger)
  const database = await resolveDatabaseUrl(config, logger)
  const ctx = createContext(config, logger, database.url)
  await waitForDatabase(ctx.db, message => { logger.warn(message) })
  if (config.MIGRATE_ON_START) {
    const { applied } = await migrateWithoutDeadlines(database.url)
    logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database schema is up to date')
  }
  if (config.REDIS_URL === undefined) logger.warn('REDIS_URL is not set: rate limits are kept per process, not shared by replicas')
  // Decided before listening, so the hint (when due) is logged before the listeners announce themselves.
  const firstRun = config.embeddedDatabase && config.ADMIN_API_KEY === undefined &&
    await ctx.db.selectFrom('clients').select('id').limit(1).executeTakeFirst() === undefined
  if (firstRun) logger.info('first time here? create a client and its API key with: npm run cli -- create-client "Acme"  (see README: API tour)')
  const { api, internal } = await buildApps(ctx)
  ctx.apiKeys.start()
  await internal.listen({ port: config.INTERNAL_PORT, host: config.HOST })
  await api.listen({ port: config.PORT, host: config.HOST })

  exitGracefullyOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, 'no new requests, finishing those in flight', async () => {
    ctx.beginShutdown()
    await closeListeners(api, internal)
    await ctx.close()
    await database.stop() // the embedded cluster, if this process started it: after every pool is closed
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`campaign-service failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
