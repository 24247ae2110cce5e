import t from 'tap'
import { lateDatabase } from '../helpers/late-database.js'
import { freshDatabase } from '../helpers/postgres.js'
import { runCli } from '../helpers/run-cli.js'

// `migrate` runs first in compose and beside new clusters: a database that is not up yet is
// waited for; one that refuses for another reason fails at once.

t.test('migrate waits for a database that comes up later, then does its work', async t => {
  const database = await lateDatabase(t)
  let refused!: () => void
  const wasRefused = new Promise<void>(resolve => { refused = resolve })
  const run = runCli(['migrate'], { DATABASE_URL: database.url }, undefined, soFar => {
    if (/waiting for the database/.test(soFar)) refused()
  })
  // Nothing listens on the port until the command has said it is waiting; then a proxy to the
  // real server does. (A fixed pause raced a slow start on a loaded machine.)
  await Promise.race([wasRefused, run.then(result => { throw new Error(`migrate ended before it waited: ${result.stderr}`) })])
  await database.comeUp()
  const result = await run
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, /waiting for the database: .*ECONNREFUSED/)
  t.match(result.stdout, /database schema is up to date/, 'it reached the (already migrated) database')
})

t.test('a database that refuses for another reason fails at once', async t => {
  const url = new URL(await freshDatabase(t))
  url.pathname = '/no_such_database_here'
  const result = await runCli(['migrate'], { DATABASE_URL: url.toString() })
  t.equal(result.code, 1)
  t.match(result.stderr, /no_such_database_here/)
  t.notMatch(result.stderr, /waiting for the database/, 'not worth waiting for')
})
