import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'

/**
 * Closes listeners, letting requests in flight finish. close() drops the connections idle at that
 * moment; one that finishes its answer a moment later would stay open until its keep-alive timeout,
 * so idle connections are swept until every listener has closed.
 */
export async function closeListeners (...apps: FastifyInstance[]): Promise<void> {
  const sweep = setInterval(() => { for (const app of apps) app.server.closeIdleConnections() }, 100)
  try {
    await Promise.all(apps.map(async app => { await app.close() }))
  } finally {
    clearInterval(sweep)
  }
}

/**
 * On SIGTERM or SIGINT: log, run `stop` once (stop listeners, finish work, close pools) and exit 0;
 * exit 1 if it takes longer than `timeoutMs`.
 */
export function exitGracefullyOnSignals (logger: Logger, timeoutMs: number, what: string, stop: () => Promise<void>): void {
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, `shutting down: ${what}`)
    setTimeout(() => {
      logger.error('shutdown timed out; exiting')
      process.exit(1)
    }, timeoutMs).unref()
    stop().then(() => {
      logger.info('shutdown complete')
      process.exit(0)
    }, (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })
}

/**
 * A promise rejected with nobody listening (a library's fire-and-forget query during a database
 * outage) would end the process under Node's default: every replica down on one blip. It is a
 * bug to log loudly, not a reason to stop serving.
 */
export function logUnhandledRejections (logger: Logger): void {
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason instanceof Error ? reason : { message: String(reason) } }, 'unhandled promise rejection (still serving)')
  })
}
