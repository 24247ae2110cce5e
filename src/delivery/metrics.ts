import client from 'prom-client'
import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import { collectorsPerRegistry } from '../observability/metrics.js'

export type DeliveryMetrics = ReturnType<typeof register>

/**
 * Age of the oldest delivery that is due and not handed out (pending, or leased with an expired
 * lease), across clients: one probe of deliveries_open_due per client, at scrape time. 0 when none.
 */
async function oldestDueAgeSeconds (db: Database): Promise<number> {
  const { rows } = await sql<{ age: number | null }>`
    select extract(epoch from now() - min(o.due_at))::float8 as age
    from clients c cross join lateral (
      select d.due_at from deliveries d
      where d.client_id = c.id and d.status in ('pending', 'leased') and d.due_at <= now()
        and (d.status = 'pending' or d.lease_expires_at <= now())
      order by d.due_at limit 1
    ) o`.execute(db)
  return Math.max(0, rows[0]?.age ?? 0)
}

function register (registry: client.Registry, db: Database) {
  const registers = [registry]
  const metrics = {
    claimed: new client.Counter({ name: 'deliveries_claimed_total', help: 'Deliveries handed out to senders by claims', registers }),
    sent: new client.Counter({ name: 'deliveries_sent_total', help: 'Deliveries reported sent', registers }),
    failed: new client.Counter({ name: 'deliveries_failed_total', help: 'Deliveries reported failed; final="true" when no retry follows', labelNames: ['final'] as const, registers }),
    skipped: new client.Counter({ name: 'deliveries_skipped_total', help: 'Deliveries skipped instead of sent, by reason (no_phone, stale)', labelNames: ['reason'] as const, registers }),
    leaseExpiries: new client.Counter({ name: 'delivery_lease_expiries_total', help: 'Deliveries claimed again because the previous lease expired without a result', registers }),
    oldestDueAge: new client.Gauge({
      name: 'delivery_oldest_due_age_seconds',
      help: 'Age of the oldest due delivery not handed out (0 when none): grows while no sender drains',
      registers,
      async collect () {
        // A scrape while the database is away keeps the last value instead of failing /metrics.
        const age = await oldestDueAgeSeconds(db).catch(() => undefined)
        if (age !== undefined) this.set(age)
      }
    })
  }
  // Series start at 0 so alerts see the first increment.
  metrics.failed.inc({ final: 'true' }, 0)
  metrics.failed.inc({ final: 'false' }, 0)
  metrics.skipped.inc({ reason: 'no_phone' }, 0)
  metrics.skipped.inc({ reason: 'stale' }, 0)
  return metrics
}

/** The delivery collectors of a context's registry, registered on first use. */
export const deliveryMetrics = collectorsPerRegistry(register)
