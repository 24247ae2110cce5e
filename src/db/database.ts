import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.js'

export type Database = Kysely<DB>
export type Tx = Transaction<DB>
/** Repository functions take either; those that must run inside a transaction take Tx. */
export type Queryable = Database | Tx

// bigint columns (counts) arrive as strings by default; every count we read fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

// The database cannot be reached right now (refused, unresolvable, starting or shutting down, out
// of connections, connection lost): worth a 503 and a retry, not a 500. A wrong password or a
// missing database is not among them: waiting does not fix those.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '53300'])
const UNREACHABLE_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated)/

export function isDatabaseUnreachable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown, message?: unknown }
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true
  return typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)
}

export function createDatabase (connectionString: string, poolSize: number): { db: Database, pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: 'campaign-service', connectionTimeoutMillis: 5000 })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  // A connection lost while checked out (failover, pg_terminate_backend) emits 'error' on its
  // client: without a listener that is an uncaught exception and the process dies. The query
  // running on it fails on its own and answers 503.
  pool.on('connect', client => { client.on('error', () => {}) })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool }
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
