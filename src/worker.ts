import { buildApps } from './app.js'
import { loadConfigOrExit } from './config.js'
import { createContext } from './context.js'
import { waitForDatabase } from './db/database.js'
import { migrateWithoutDeadlines } from './db/migrator.js'
import { createLogger } from './logger.js'
import { closeListeners, exitGracefullyOnSignals, logUnhandledRejections } from './shutdown.js'

// Process entry for `npm run worker` (Docker: node dist/src/worker.js): the job worker on its
// own, for deployments that run API replicas with WORKER_ENABLED=false. It serves only the
// internal listener (/metrics), and stops cleanly on SIGTERM: running jobs finish, exit 0.

async function main (): Promise<void> {
  const config = { ...loadConfigOrExit(), WORKER_ENABLED: true }
  if (config.DATABASE_URL === undefined) {
    // The embedded PostgreSQL belongs to the API process; a second process cannot share it.
    process.stderr.write('Invalid configuration: DATABASE_URL must be set to run the worker as its own process (without it, the API runs the worker itself)\n')
    process.exit(1)
  }
  const logger = createLogger(config)
  logUnhandledRejections(logger)
  const ctx = createContext(config, logger, config.DATABASE_URL)
  await waitForDatabase(ctx.db, message => { logger.warn(message) })
  if (config.MIGRATE_ON_START) await migrateWithoutDeadlines(config.DATABASE_URL)
  const { api, internal } = await buildApps(ctx)
  await internal.listen({ port: config.INTERNAL_PORT, host: config.HOST })

  exitGracefullyOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, 'finishing running jobs', async () => {
    ctx.beginShutdown()
    await closeListeners(internal, api)
    await ctx.close()
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`campaign-service worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
