import { buildApps } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createContext } from './context.js'
import { migrateToLatest } from './db/migrator.js'
import { createLogger } from './logger.js'

// Process entry for `npm run worker` (Docker: node dist/src/worker.js): the job worker on its
// own, for deployments that run API replicas with WORKER_ENABLED=false. It serves only the
// internal listener (/metrics), and stops cleanly on SIGTERM: running jobs finish, exit 0.

function readConfig (): Config {
  try {
    return { ...loadConfig(), WORKER_ENABLED: true }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n')
      process.exit(1)
    }
    throw error
  }
}

async function main (): Promise<void> {
  const config = readConfig()
  if (config.DATABASE_URL === undefined) {
    // The embedded PostgreSQL belongs to the API process; a second process cannot share it.
    process.stderr.write('Invalid configuration: DATABASE_URL must be set to run the worker as its own process (without it, the API runs the worker itself)\n')
    process.exit(1)
  }
  const logger = createLogger(config)
  const ctx = createContext(config, logger, config.DATABASE_URL)
  if (config.MIGRATE_ON_START) await migrateToLatest(ctx.db, config.DATABASE_URL)
  const { api, internal } = await buildApps(ctx)
  await internal.listen({ port: config.INTERNAL_PORT, host: config.HOST })

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'worker shutting down: finishing running jobs')
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    force.unref()
    void (async () => {
      await Promise.all([internal.close(), api.close()])
      await ctx.close()
      logger.info('worker stopped')
      process.exit(0)
    })()
  }
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })
}

main().catch((error: unknown) => {
  process.stderr.write(`campaign-service worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
