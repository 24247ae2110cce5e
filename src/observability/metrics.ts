import client from 'prom-client'
import type pg from 'pg'
import type { Database } from '../db/database.js'

export type Metrics = ReturnType<typeof createMetrics>

/** One registry per process context; features add their own collectors to `registry`. */
export function createMetrics (pool: pg.Pool) {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['listener', 'method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  const poolConnections = new client.Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect () {
      this.set({ state: 'total' }, pool.totalCount)
      this.set({ state: 'idle' }, pool.idleCount)
      this.set({ state: 'waiting' }, pool.waitingCount)
    }
  })
  return { registry, httpDuration, poolConnections }
}

/**
 * A feature's collectors, registered on a context's registry the first time they are asked for
 * (prom-client refuses a second registration of one name).
 */
export function collectorsPerRegistry<T> (register: (registry: client.Registry, db: Database) => T): (ctx: { metrics: Metrics, db: Database }) => T {
  const byRegistry = new WeakMap<client.Registry, T>()
  return ctx => {
    let collectors = byRegistry.get(ctx.metrics.registry)
    if (collectors === undefined) {
      collectors = register(ctx.metrics.registry, ctx.db)
      byRegistry.set(ctx.metrics.registry, collectors)
    }
    return collectors
  }
}
