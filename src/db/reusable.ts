import { type Compilable, CompiledQuery } from 'kysely'
import type { Queryable } from './database.js'

/**
 * A query built and compiled once, then run with new parameters: on a hot read, building and
 * compiling the query tree cost about as much as handling the row it fetches. `build` gets
 * placeholder values; the parameters of each call must come in the same order.
 */
export function reusable<Row> (build: (db: Queryable) => Compilable<Row>): (db: Queryable, ...parameters: unknown[]) => Promise<Row[]> {
  let text: string | undefined
  return async (db, ...parameters) => {
    text ??= build(db).compile().sql
    return (await db.executeQuery<Row>(CompiledQuery.raw(text, parameters))).rows
  }
}
