import fp from 'fastify-plugin'
import { airtableMetrics } from '../airtable/metrics.js'
import { startWorker } from '../jobs/worker.js'

/**
 * Job metrics on every process, and the job worker inside this one when WORKER_ENABLED (the
 * default; `npm run worker` runs it as its own process instead). Stopped by ctx.close().
 */
export default fp(async app => {
  airtableMetrics(app.ctx)
  const removed = app.ctx.config.removedVariables
  if (removed.length > 0) {
    app.ctx.logger.warn(`${removed.join(', ')} ${removed.length > 1 ? 'are' : 'is'} no longer read: each client's Airtable base, table and key are set with PUT /v1/admin/clients/{clientId}/airtable (or npm run cli -- set-airtable)`)
  }
  if (!app.ctx.config.WORKER_ENABLED) return
  const worker = await startWorker(app.ctx)
  app.ctx.onClose(worker.stop)
}, { name: 'jobs', dependencies: ['context'] })
