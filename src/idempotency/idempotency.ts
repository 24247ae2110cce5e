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

/**
 * Runs `handler` once per (client, scope, key) within 24 h. The row is claimed with an insert
 * before the work starts, so two copies arriving together cannot both run: the second gets 409
 * while the first runs, then the stored response. A failed first attempt releases the key.
 */
export async function runIdempotent<Status extends number, Body> (
  db: Database,
  claim: { clientId: string, scope: string, key: string | undefined, body: unknown },
  handler: (resourceId: string) => Promise<StoredResponse<Status, Body>>
): Promise<StoredResponse<Status, Body> & { replayed: boolean }> {
  if (claim.key === undefined) return { ...(await handler(randomUUID())), replayed: false }
  const { clientId, scope, key } = claim
  const hash = requestHash(claim.body)
  await db.deleteFrom('idempotency_keys')
    .where('client_id', '=', clientId).where('scope', '=', scope).where('key', '=', key)
    .where('created_at', '<', sql<Date>`now() - interval '24 hours'`).execute()
  const claimed = await db.insertInto('idempotency_keys')
    .values({ client_id: clientId, scope, key, request_hash: hash, state: 'running' })
    .onConflict(oc => oc.columns(['client_id', 'scope', 'key']).doNothing())
    .returning('resource_id').executeTakeFirst()
  let resourceId = claimed?.resource_id
  if (claimed === undefined) {
    const existing = await db.selectFrom('idempotency_keys').selectAll()
      .where('client_id', '=', clientId).where('scope', '=', scope).where('key', '=', key).executeTakeFirst()
    if (existing === undefined) return await runIdempotent(db, claim, handler) // released meanwhile: try again
    if (existing.request_hash !== hash) throw unprocessable('this Idempotency-Key was used with a different request body', 'idempotency-key-reused')
    // Stored from this scope's handler, so it has the handler's type.
    if (existing.state === 'done') return { status: (existing.response_status ?? 200) as Status, body: existing.response_body as Body, replayed: true }
    const reclaimed = await db.updateTable('idempotency_keys').set({ created_at: sql<Date>`now()` })
      .where('client_id', '=', clientId).where('scope', '=', scope).where('key', '=', key)
      .where('state', '=', 'running').where('created_at', '<', sql<Date>`now() - interval '${sql.raw(ABANDONED_AFTER)}'`)
      .executeTakeFirst()
    if (reclaimed.numUpdatedRows === 0n) {
      throw new HttpProblem(409, 'Conflict', 'a request with this Idempotency-Key is still being processed; retry later', { type: 'idempotency-key-in-use', headers: { 'retry-after': '1' } })
    }
    // Taken over from an attempt that never finished: the same resource id, so what that attempt
    // may have created is found again rather than made twice.
    resourceId = existing.resource_id
  }
  let response: StoredResponse<Status, Body>
  try {
    response = await handler(resourceId ?? randomUUID())
  } catch (error) {
    await db.deleteFrom('idempotency_keys').where('client_id', '=', clientId).where('scope', '=', scope).where('key', '=', key).execute()
    throw error
  }
  await db.updateTable('idempotency_keys')
    .set({ state: 'done', response_status: response.status, response_body: JSON.stringify(response.body) })
    .where('client_id', '=', clientId).where('scope', '=', scope).where('key', '=', key).execute()
  return { ...response, replayed: false }
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
