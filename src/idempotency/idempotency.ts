import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import { HttpProblem, unprocessable } from '../http/problem.js'

/** What a handler answers: kept as it is and replayed for a repeat of the request. */
export interface StoredResponse<Status extends number = number, Body = unknown> {
  status: Status
  body: Body
}

// A key whose first request never finished (the process died) is taken over after this long.
// A claim still running after this long is taken over. Far longer than a request takes with the
// default settings (a create enrolls for at most ENROLLMENT_TIME_BUDGET_MS, 20 s, then counts what
// is left); taking over one that is in fact still running is safe: the rerun waits for the same
// campaign's lock (resource_id) and answers with that campaign; an import rerun writes the same rows.
const ABANDONED_AFTER = '2 minutes'

function canonical (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map(k => [k, canonical((value as Record<string, unknown>)[k])]))
  }
  return value
}

export function requestHash (body: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(body) ?? null)).digest('hex')
}

/** How long, after a failed request, its key's release is retried while the database is away. */
const RELEASE_RETRY_MS = 60_000

interface KeyId { clientId: string, scope: string, key: string }

async function release (db: Database, { clientId, scope, key }: KeyId): Promise<void> {
  await db.updateTable('idempotency_keys').set({ state: 'released' })
    .where(eb => eb.and({ client_id: clientId, scope, key, state: 'running' })).execute()
}

/**
 * Releases the key of a failed request. When the database is what failed, the release is retried
 * every second for a minute in the background, so the retry of the request can take the key over
 * soon instead of waiting for it to be abandoned. Never throws: at worst the key stays running
 * and is abandoned in the end.
 */
async function releaseSoon (db: Database, id: KeyId): Promise<void> {
  const deadline = Date.now() + RELEASE_RETRY_MS
  const retry = (): void => {
    release(db, id).catch(() => { if (Date.now() < deadline) setTimeout(retry, 1000).unref() })
  }
  await release(db, id).catch(() => { setTimeout(retry, 1000).unref() })
}

/**
 * Runs `handler` once per (client, scope, key) within 24 h. The row is claimed with an insert
 * before the work starts, so two copies arriving together cannot both run: the second gets 409
 * while the first runs, then the stored response. The claim fixes a resource id that every
 * attempt with the key passes to `handler`, so what one attempt committed is found, never made
 * twice, by the next. A failed attempt releases the key (it is never deleted: a new claim
 * would get a new resource id): the next request with it, of any body, takes it over.
 */
export async function runIdempotent<Status extends number, Body> (
  db: Database,
  claim: { clientId: string, scope: string, key: string | undefined, body: unknown },
  handler: (resourceId: string) => Promise<StoredResponse<Status, Body>>
): Promise<StoredResponse<Status, Body> & { replayed: boolean }> {
  if (claim.key === undefined) return { ...(await handler(randomUUID())), replayed: false }
  const { clientId, scope, key } = claim
  const id = { clientId, scope, key }
  const hash = requestHash(claim.body)
  const thisKey = { client_id: clientId, scope, key }
  await db.deleteFrom('idempotency_keys').where(eb => eb.and(thisKey)).where('created_at', '<', sql<Date>`now() - interval '24 hours'`).execute()
  const claimed = await db.insertInto('idempotency_keys')
    .values({ client_id: clientId, scope, key, request_hash: hash, state: 'running' })
    .onConflict(oc => oc.columns(['client_id', 'scope', 'key']).doNothing())
    .returning('resource_id').executeTakeFirst()
  let resourceId = claimed?.resource_id
  if (claimed === undefined) {
    const existing = await db.selectFrom('idempotency_keys').selectAll().where(eb => eb.and(thisKey)).executeTakeFirst()
    if (existing === undefined) return await runIdempotent(db, claim, handler) // expired meanwhile: try again
    if (existing.state !== 'released' && existing.request_hash !== hash) throw unprocessable('this Idempotency-Key was used with a different request body', 'idempotency-key-reused')
    // Stored from this scope's handler, so it has the handler's type.
    if (existing.state === 'done') return { status: (existing.response_status ?? 200) as Status, body: existing.response_body as Body, replayed: true }
    // Released by a failed attempt, or running for so long that its attempt was abandoned.
    const reclaimed = await db.updateTable('idempotency_keys').set({ state: 'running', request_hash: hash, created_at: sql<Date>`now()` })
      .where(eb => eb.and(thisKey))
      .where(eb => existing.state === 'released'
        ? eb('state', '=', 'released')
        : eb.and([eb('state', '=', 'running'), eb('created_at', '<', sql<Date>`now() - interval '${sql.raw(ABANDONED_AFTER)}'`)]))
      .executeTakeFirst()
    if (reclaimed.numUpdatedRows === 0n) {
      throw new HttpProblem(409, 'Conflict', 'a request with this Idempotency-Key is still being processed; retry later', { type: 'idempotency-key-in-use', headers: { 'retry-after': '1' } })
    }
    // The same resource id: what an earlier attempt may have created is found again.
    resourceId = existing.resource_id
  }
  try {
    const response = await handler(resourceId ?? randomUUID())
    await db.updateTable('idempotency_keys').where(eb => eb.and(thisKey))
      .set({ state: 'done', response_status: response.status, response_body: JSON.stringify(response.body) }).execute()
    return { ...response, replayed: false }
  } catch (error) {
    await releaseSoon(db, id)
    throw error
  }
}

/**
 * Deletes keys past their 24 h, at most `limit` per call (the activation tick calls it every
 * minute, so the table stays at about a day of keys). Returns how many went.
 */
export async function purgeExpiredKeys (db: Database, limit = 10_000): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where created_at < now() - interval '24 hours' order by created_at limit ${limit}))`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
