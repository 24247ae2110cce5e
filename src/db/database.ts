import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import pg from 'pg'
import type { DB } from './schema.js'

export type Database = Kysely<DB>
export type Tx = Transaction<DB>
/** Repository functions take either; those that must run inside a transaction take Tx. */
export type Queryable = Database | Tx

// bigint columns (counts) arrive as strings by default; every count we read fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

export function createDatabase (connectionString: string, poolSize: number): { db: Database, pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: 'campaign-service', connectionTimeoutMillis: 5000 })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool }
}
