import client from 'prom-client'
import type { Database } from '../db/database.js'
import { collectorsPerRegistry } from '../observability/metrics.js'
import { countSyncFailures, countSyncJobs } from './repository.js'

export type AirtableMetrics = ReturnType<typeof register>

function register (registry: client.Registry, db: Database) {
  const registers = [registry]
  const queueDepth = new client.Gauge({
    name: 'airtable_sync_queue_depth',
    help: 'Airtable sync jobs waiting in graphile-worker: ready (due now), delayed (waiting for a retry), running',
    labelNames: ['state'] as const,
    registers,
    async collect () {
      // A scrape while the database is away keeps the last values instead of failing /metrics.
      const depth = await countSyncJobs(db).catch(() => undefined)
      if (depth === undefined) return
      for (const [state, value] of Object.entries(depth)) this.set({ state }, value)
    }
  })
  const failuresKept = new client.Gauge({
    name: 'airtable_sync_failures_kept',
    help: 'Batches that used every attempt and wait in GET /v1/sync/failures for a retry',
    registers,
    async collect () {
      const count = await countSyncFailures(db).catch(() => undefined)
      if (count !== undefined) this.set(count)
    }
  })
  return {
    queueDepth,
    failuresKept,
    batchesSynced: new client.Counter({ name: 'airtable_sync_batches_synced_total', help: 'Airtable update requests that succeeded', registers }),
    recordsSynced: new client.Counter({ name: 'airtable_sync_records_synced_total', help: 'Airtable records written', registers }),
    retries: new client.Counter({ name: 'airtable_sync_retries_total', help: 'Failed attempts that will be retried, by reason', labelNames: ['reason'] as const, registers }),
    batchesFailed: new client.Counter({ name: 'airtable_sync_batches_failed_total', help: 'Batches kept as failed after their last attempt', registers }),
    jobsDropped: new client.Counter({
      name: 'airtable_sync_jobs_dropped_total',
      help: 'Sync jobs dropped because their client has no Airtable settings: settings_deleted (removed by the DELETE), no_settings (ran as a no-op)',
      labelNames: ['reason'] as const,
      registers
    })
  }
}

/** The Airtable collectors of a context's registry, registered on first use. */
export const airtableMetrics = collectorsPerRegistry(register)
