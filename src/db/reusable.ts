import { type Compilable, CompiledQuery, type RawBuilder } from 'kysely'
import type pg from 'pg'
import type { Queryable } from './database.js'

// Texts of the reusable queries, each with the name its prepared statement goes by.
const names = new Map<string, string>()
// Kysely instances (never a transaction) whose reusable queries go to their pool directly.
const pools = new WeakMap<Queryable, pg.Pool>()

/**
 * Lets `reusable` run its queries on `db` straight on `pool`, the pool `db` itself runs on:
 * Kysely's executor, connection provider and driver cost about as much CPU as the pg call
 * itself on a hot read, for a text already compiled. Same connection checkout and release,
 * same deadlines (the pool's clients carry them). A transaction keeps going through Kysely.
 */
export function runsOnPool (db: Queryable, pool: pg.Pool): void {
  pools.set(db, pool)
}

/** Gives `text` its prepared statement's name (once; the same text keeps its name); returns the text. */
function nameAsPrepared (text: string): string {
  if (!names.has(text)) names.set(text, `reusable_${names.size + 1}`)
  return text
}

/**
 * The prepared statement's name for a query text `reusable` built, else undefined. The service's
 * pool (`createPool` with deadlines) runs such a text as that named statement: PostgreSQL parses
 * and plans it once per connection instead of on every call, about half a hot read's server CPU.
 */
export function preparedName (text: string): string | undefined {
  return names.get(text)
}

/**
 * A query built and compiled once, then run with new parameters: on a hot read, building and
 * compiling the query tree cost about as much as handling the row it fetches. `build` gets
 * placeholder values; the parameters of each call must come in the same order. It runs as a named
 * prepared statement (`preparedName`), so it must name its columns (`columnsOf`): a `select *`
 * prepared before a migration adds a column fails afterwards ("cached plan must not change result type").
 */
export function reusable<Row> (build: (db: Queryable) => Compilable<Row>): (db: Queryable, ...parameters: unknown[]) => Promise<Row[]> {
  let text: string | undefined
  return async (db, ...parameters) => {
    if (text === undefined) {
      text = nameAsPrepared(build(db).compile().sql)
    }
    const pool = pools.get(db)
    if (pool === undefined) return (await db.executeQuery<Row>(CompiledQuery.raw(text, parameters))).rows
    const client = await pool.connect()
    let rows: Row[]
    try {
      rows = (await client.query(text, parameters)).rows as Row[]
    } catch (error) {
      // As pool.query does, a connection a query failed on is not handed out again (one a stall
      // timed out on is being destroyed, and would fail the next caller). As Kysely does, the
      // stack goes on with the caller's.
      client.release(true)
      if (error instanceof Error && error.stack !== undefined) error.stack += '\n' + (new Error().stack ?? '').split('\n').slice(1).join('\n')
      throw error
    }
    client.release()
    return rows
  }
}

/** Every column of a table as a select list; the compiler checks that none is missing or unknown. */
export function columnsOf<Table> (columns: Record<keyof Table & string, true>): Array<keyof Table & string> {
  return Object.keys(columns) as Array<keyof Table & string>
}

/**
 * Runs a statement whose text does not change from call to call (values only as parameters) as a
 * named prepared statement, like `reusable`'s: for the hot multi-part statements (the sender's
 * claim and results), whose parsing and planning cost as much as a few hundred rows of their work.
 */
export async function executePrepared<Row> (db: Queryable, query: RawBuilder<Row>): Promise<{ rows: Row[] }> {
  const compiled = query.compile(db)
  nameAsPrepared(compiled.sql)
  return await db.executeQuery<Row>(compiled)
}
