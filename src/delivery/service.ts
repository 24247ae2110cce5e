import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { claimPass, clientsWithSkippable } from './claim.js'
import { clientsWithDueMessages, materializeDueMessages } from './materialize.js'
import type { DeliveryMetrics } from './metrics.js'
import type { ClaimInput } from './schemas.js'

interface DeliveryServices { db: Database, config: Config }

// A claim that met only stale or phoneless deliveries tries again, so a sender back from an
// outage gets messages to send instead of an empty answer; bounded so one claim stays short.
const CLAIM_PASSES = 5
const TICK_BATCH = 5000
const TICK_ROUNDS = 5

/**
 * POST /v1/deliveries/claim: claimed in one statement (see claimPass); when messages are due
 * that have no row yet, they are made into rows first (materializeDueMessages), then claimed.
 * Returns the answer's JSON text, `{"data": [delivery...]}`, as PostgreSQL wrote the deliveries.
 */
export async function claimDeliveries ({ db, config }: DeliveryServices, metrics: DeliveryMetrics, clientId: string, input: Required<ClaimInput>): Promise<string> {
  const parts: string[] = []
  let handed = 0
  for (let pass = 0; pass < CLAIM_PASSES && handed < input.limit; pass++) {
    const options = { limit: input.limit - handed, leaseSeconds: input.leaseSeconds, handOut: true }
    let result = await claimPass(db, config, clientId, { ...options, unlessUnmade: true })
    if (result.unmade) {
      await materializeDueMessages(db, clientId, options.limit)
      result = await claimPass(db, config, clientId, options)
    }
    handed += result.handed
    if (result.handedJson !== null) parts.push(result.handedJson)
    countPass(metrics, result)
    if (result.skipped.no_phone + result.skipped.stale === 0) break
  }
  return `{"data":[${parts.join(',')}]}`
}

function countPass (metrics: DeliveryMetrics, result: Awaited<ReturnType<typeof claimPass>>): void {
  metrics.claimed.inc(result.handed)
  metrics.leaseExpiries.inc(result.leaseExpiries)
  metrics.skipped.inc({ reason: 'no_phone' }, result.skipped.no_phone)
  metrics.skipped.inc({ reason: 'stale' }, result.skipped.stale)
}

/**
 * The activation tick's delivery work, for every client with some: make the rows of due messages,
 * skip stale and phoneless deliveries (their enrollments move on, and end after their last
 * message even when no sender runs). Stops when `until` says so; the next tick goes on.
 * Returns the enrollments completed by skips.
 */
export async function runDeliveryTick ({ db, config }: DeliveryServices, metrics: DeliveryMetrics, until: () => boolean): Promise<number> {
  let completed = 0
  // A skip schedules the next message, due at once when its delay is 0: go round while skips
  // happen, a few times at most. Enrollments committed meanwhile (a create still enrolling leads
  // without phones) would keep every round busy and the tick running until its budget; the next
  // tick goes on.
  for (let skipped = 1, round = 0; skipped > 0 && round < TICK_ROUNDS && !until(); round++) {
    skipped = 0
    for (const clientId of await clientsWithDueMessages(db)) {
      while (!until() && await materializeDueMessages(db, clientId, TICK_BATCH) === TICK_BATCH);
    }
    for (const clientId of await clientsWithSkippable(db, config)) {
      for (let more = true; more && !until();) {
        const result = await claimPass(db, config, clientId, { limit: TICK_BATCH, leaseSeconds: 10, handOut: false })
        countPass(metrics, result)
        completed += result.completed
        skipped += result.skipped.no_phone + result.skipped.stale
        more = result.skipped.no_phone + result.skipped.stale === TICK_BATCH
      }
    }
  }
  return completed
}
