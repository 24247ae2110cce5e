import pg from 'pg'
import t, { type Test } from 'tap'
import { createPool } from '../../src/db/pool.js'
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
