import pg from 'pg'
import t, { type Test } from 'tap'
import { createDatabase } from '../../src/db/database.js'
import { createPool } from '../../src/db/pool.js'
import { findLead } from '../../src/leads/repository.js'
import { toProblem } from '../../src/http/error-handler.js'
import { faultProxy } from '../helpers/fault-proxy.js'
import { freshDatabase } from '../helpers/postgres.js'

// Every way pg reports a database it cannot reach answers 503 database-unavailable with
// Retry-After: the errors below are pg's own, provoked through a proxy, not written by hand.

const expect503 = (t: Test, error: unknown, what: string): void => {
  const problem = toProblem(error as Error)
  t.equal(problem.status, 503, `${what}: ${(error as Error).message}`)
  t.match(problem.type, /:database-unavailable$/)
  t.ok(problem.headers['retry-after'] !== undefined, 'with Retry-After')
}

t.test('reset, refused, not queryable, stalled: all 503', async t => {
  const proxy = await faultProxy(t, await freshDatabase(t))
  const client = new pg.Client({ connectionString: proxy.url })
  client.on('error', () => {})
  await client.connect()
  await proxy.cut()
  expect503(t, await client.query('select 1').catch((e: unknown) => e), 'the query on a reset connection')
  expect503(t, await client.query('select 1').catch((e: unknown) => e), 'the next query (as a rollback after a reset)')
  t.match((await client.query('select 1').catch((e: unknown) => e) as Error).message, /not queryable/)
  const refused = new pg.Client({ connectionString: proxy.url })
  expect503(t, await refused.connect().catch((e: unknown) => e), 'a refused connection')
  await proxy.restore()

  // A stalled server: the client-side deadline (statement_timeout + 2 s) ends the wait.
  const pool = createPool({ connectionString: proxy.url, max: 1, timeouts: { statementMs: 100, lockMs: 100 } })
  t.teardown(async () => { await pool.end() })
  await pool.query('select 1')
  proxy.stall()
  expect503(t, await pool.query('select 1').catch((e: unknown) => e), 'a stalled query')
  await proxy.restore()
  t.same((await pool.query('select 1 as one')).rows, [{ one: 1 }], 'the pool recovers with a new connection')
  expect503(t, await pool.query('select pg_sleep(1)').catch((e: unknown) => e), 'a statement past statement_timeout')
})

t.test('a read compiled once (run straight on the pool, as a prepared statement) keeps the deadline: a stall is a 503, the pool recovers', async t => {
  const proxy = await faultProxy(t, await freshDatabase(t))
  const { db } = createDatabase(proxy.url, 1, { statementMs: 100, lockMs: 100 })
  t.teardown(async () => { await db.destroy() })
  const id = '0b5c9a64-3f7e-4d2a-9c1e-6a1f0d2b7e41'
  t.equal(await findLead(db, id, id), undefined, 'answers before the stall')
  proxy.stall()
  expect503(t, await findLead(db, id, id).catch((e: unknown) => e), 'a stalled read')
  await proxy.restore()
  t.equal(await findLead(db, id, id), undefined, 'the pool recovers with a new connection')
  t.equal(await db.transaction().execute(async tx => await findLead(tx, id, id)), undefined, 'and in a transaction (through Kysely)')
})
