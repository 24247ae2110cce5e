import { Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.js'

export type Database = Kysely<DB>
export type Tx = Transaction<DB>
/** Repository functions take either; those that must run inside a transaction take Tx. */
export type Queryable = Database | Tx

// bigint columns (counts) arrive as strings by default; every count we read fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

// The API answers RFC 3339, years 0001..9999. A stored timestamp outside them (year 10000, written
// before inputs were checked after rounding; 'infinity') is read as the nearest instant inside, so
// one row can never turn a whole list into a 500 or an unparseable date.
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z')
const LATEST = Date.parse('9999-12-31T23:59:59.999Z')
for (const type of [pg.types.builtins.TIMESTAMPTZ, pg.types.builtins.TIMESTAMP]) {
  const parse = pg.types.getTypeParser(type) as (value: string) => Date | number
  pg.types.setTypeParser(type, (value: string) => {
    const parsed = parse(value)
    const time = typeof parsed === 'number' ? parsed : parsed.getTime()
    if (Number.isNaN(time)) return parsed
    return time > LATEST ? new Date(LATEST) : time < EARLIEST ? new Date(EARLIEST) : parsed
  })
}

// The database cannot be reached or does not answer in time right now (refused, unresolvable,
// starting or shutting down, out of connections, connection lost or reset, a statement or lock
// wait past its deadline): worth a 503 and a retry, not a 500. A wrong password or a missing
// database is not among them: waiting does not fix those.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  '57P01', '57P02', '57P03', '53300', '57014', '55P03'
])
// pg's own errors carry no code: a connection that could not be made in time, one that ended
// or broke under a query ("Client has encountered a connection error and is not queryable" is
// what the rollback after a reset says), a query past its client-side deadline.
const UNREACHABLE_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|the database did not answer)/

export function isDatabaseUnreachable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message, errors } = error as { code?: unknown, message?: unknown, errors?: unknown }
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true
  if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)) return true
  // Connecting to "localhost" tries ::1 and 127.0.0.1 and fails with both in an AggregateError.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnreachable)
}

/** The deadlines the configuration asks for. */
export function configuredTimeouts (config: { DATABASE_STATEMENT_TIMEOUT_MS: number, DATABASE_LOCK_TIMEOUT_MS: number }): DatabaseTimeouts {
  return { statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS, lockMs: config.DATABASE_LOCK_TIMEOUT_MS }
}

export interface DatabaseTimeouts {
  /** statement_timeout of every session. */
  statementMs: number
  /** lock_timeout of every session: a lock wait fails rather than queueing behind a stuck holder. */
  lockMs: number
}

/** A stalled server (connection open, nothing answered) never sends a statement_timeout error: the client gives up this much later. */
const CLIENT_MARGIN_MS = 2000
const SET_LOCAL_TIMEOUT = /set_config\('statement_timeout',\s*'(\d+)',\s*true\)|^\s*set\s+local\s+statement_timeout\s*=\s*'?(\d+)/i
const TRANSACTION_END = /^\s*(commit|rollback)\b/i

/**
 * Gives every query of `client` a client-side deadline: the session's statement_timeout plus a
 * margin, or the longer one a transaction set for itself (`set local statement_timeout`, the
 * enrollment chunk, through `longerStatementTimeout`) until it ends. A query past it fails with "Query read timeout"; its
 * connection is then destroyed, since pg would keep it waiting for the stalled answer and hand
 * it out again.
 */
function applyQueryDeadlines (client: pg.PoolClient, statementMs: number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const destroyOnTimeout = (error: unknown): void => {
    if (error instanceof Error && error.message === 'Query read timeout') (client as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
  }
  let transactionMs: number | undefined
  const deadlined = (...args: unknown[]): unknown => {
    const [first, second] = args
    // (text, values?, callback?) or ({ text, values, ... }, callback?); a Submittable (a cursor) passes as it is.
    const config = typeof first === 'string'
      ? { text: first, values: Array.isArray(second) ? second : undefined }
      : typeof first === 'object' && first !== null && typeof (first as { text?: unknown }).text === 'string' && typeof (first as { submit?: unknown }).submit !== 'function'
        ? { ...first as { text: string }, ...(Array.isArray(second) ? { values: second } : {}) }
        : undefined
    if (config === undefined) return query(...args)
    const timeout = (transactionMs ?? statementMs) + CLIENT_MARGIN_MS
    const longer = SET_LOCAL_TIMEOUT.exec(config.text)
    if (longer !== null) transactionMs = Number(longer[1] ?? longer[2])
    else if (TRANSACTION_END.test(config.text)) transactionMs = undefined
    const deadlinedConfig = { ...config, query_timeout: timeout }
    const callback = args.find(arg => typeof arg === 'function') as ((error: unknown, result: unknown) => void) | undefined
    if (callback !== undefined) {
      return query(deadlinedConfig, (error: unknown, result: unknown) => { if (error != null) destroyOnTimeout(error); callback(error, result) })
    }
    const result = query(deadlinedConfig) as Promise<unknown>
    result.catch(destroyOnTimeout)
    return result
  }
  ;(client as unknown as { query: typeof deadlined }).query = deadlined
}

/** Options for a pg pool: the session deadlines (the client-side one comes from `guardPool`). */
export function timeoutOptions (timeouts: DatabaseTimeouts): pg.PoolConfig {
  return {
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    // A transaction whose client vanished (stalled, killed) must not hold its locks for long.
    idle_in_transaction_session_timeout: Math.max(60_000, 2 * timeouts.statementMs)
  }
}

/**
 * Makes `pool` survive connection loss (an idle or checked-out client losing its connection
 * emits 'error', an uncaught exception without a listener: the query running on it fails on its
 * own, and the pool replaces it) and, with `timeouts`, gives its queries client-side deadlines.
 */
export function guardPool (pool: pg.Pool, timeouts?: DatabaseTimeouts, onClientError: (error: Error) => void = () => {}): pg.Pool {
  pool.on('error', () => {})
  pool.on('connect', client => {
    client.on('error', onClientError)
    if (timeouts !== undefined) applyQueryDeadlines(client, timeouts.statementMs)
  })
  return pool
}

/**
 * The query pool and Kysely on it. With `timeouts` (the service) every call has a deadline;
 * without (migrations from the CLI, tests' setup) statements may take as long as they need.
 */
export function createDatabase (connectionString: string, poolSize: number, timeouts?: DatabaseTimeouts): { db: Database, pool: pg.Pool } {
  const pool = guardPool(new pg.Pool({
    connectionString,
    max: poolSize,
    application_name: 'campaign-service',
    connectionTimeoutMillis: 5000,
    ...(timeouts !== undefined ? timeoutOptions(timeouts) : {})
  }), timeouts)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool }
}

/**
 * For a transaction whose statements may take longer than the session's deadline (an enrollment
 * chunk, budgeted by its run): a select-list item setting statement_timeout until it ends.
 */
export function longerStatementTimeout (ms: number): RawBuilder<string> {
  return sql<string>`set_config('statement_timeout', ${sql.lit(String(Math.round(ms)))}, true)`
}

/** How long a process starting up waits for a database that is not up yet (compose, a new cluster). */
export const DATABASE_WAIT_MS = 60_000

/**
 * Resolves once the database answers. While it is unreachable (refused, starting...) it retries
 * every second for up to `waitMs`, telling `onWait` once; any other error (a wrong password, a
 * missing database) is thrown at once: waiting would not fix it.
 */
export async function waitForDatabase (db: Database, onWait: (message: string) => void, waitMs = DATABASE_WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db)
      return
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error
      const reason = error instanceof Error ? error.message : String(error)
      if (Date.now() >= deadline) throw new Error(`the database did not answer within ${waitMs / 1000} s: ${reason}`, { cause: error })
      if (attempt === 1) onWait(`waiting for the database: ${reason}`)
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }
}
