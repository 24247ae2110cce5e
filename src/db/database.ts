import { Kysely, PostgresDialect, sql, type PostgresPool, type RawBuilder, type Transaction } from 'kysely'
import pg from 'pg'
import { createPool, type DatabaseTimeouts } from './pool.js'
import { runsOnPool } from './reusable.js'
import type { DB } from './schema.js'

export type Database = Kysely<DB>
export type Tx = Transaction<DB>
/** Repository functions take either; those that must run inside a transaction take Tx. */
export type Queryable = Database | Tx

// bigint columns (counts) arrive as strings by default; every count we read fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

// The API answers RFC 3339, years 0001..9999. A stored timestamp outside them (year 10000,
// 'infinity') is read as the nearest instant inside, so one row can never turn a whole list into a
// 500 or an unparseable date.
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

/**
 * The query pool and Kysely on it. With `timeouts` (the service) every call has a deadline;
 * without (migrations from the CLI, tests' setup) statements may take as long as they need.
 */
export function createDatabase (connectionString: string, poolSize: number, timeouts?: DatabaseTimeouts): { db: Database, pool: pg.Pool } {
  const pool = createPool({ connectionString, max: poolSize, applicationName: 'campaign-service', connectTimeoutMs: 5000, timeouts })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  runsOnPool(db, pool)
  return { db, pool }
}

/**
 * Runs `work` with a Kysely bound to one pool connection, and that connection itself: for a
 * transaction that also sends what Kysely cannot (COPY ... FROM STDIN). Everything `work` sends
 * goes over that one connection, in order, so it runs one transaction at a time. The connection
 * keeps the pool's deadlines and goes back to the pool after `work` (discarded when Kysely found
 * it broken).
 */
export async function withConnection<T> (pool: pg.Pool, work: (db: Database, client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let discard = false
  const single: PostgresPool = {
    connect: async () => ({
      query: client.query.bind(client),
      release: (destroy?: boolean) => { if (destroy === true) discard = true }
    }),
    end: async () => {}
  }
  try {
    return await work(new Kysely<DB>({ dialect: new PostgresDialect({ pool: single }) }), client)
  } finally {
    client.release(discard)
  }
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
