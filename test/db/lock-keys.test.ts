import t from 'tap'
import { createPool } from '../../src/db/pool.js'
import { CAMPAIGN_LOCK_PREFIX, CLIENT_LOCK_PREFIX, clientLockKey } from '../../src/db/locks.js'
import { freshDatabase } from '../helpers/postgres.js'

// Migrations are frozen and may not import src/db/locks.ts: their triggers spell the lock keys
// in SQL. Read from the migrated database, every advisory-lock key they build must be one of the
// module's, or a trigger and the engine would lock different things and no longer serialise.
t.test("the migrations' triggers lock with the keys of src/db/locks.ts", async t => {
  const pool = createPool({ connectionString: await freshDatabase(t), max: 1 })
  t.teardown(async () => { await pool.end() })
  const { rows } = await pool.query<{ name: string, source: string }>(
    "select proname as name, prosrc as source from pg_proc where pronamespace = 'public'::regnamespace and prosrc like '%advisory%'")
  t.ok(rows.some(r => r.name === 'cascade_delete'), 'the cascade trigger takes an advisory lock')
  for (const { name, source } of rows) {
    const keys = [...source.matchAll(/hashtextextended\('([^']*)' \|\| (\w+)::text, 0\)/g)]
    t.ok(keys.length > 0, `${name} builds its key as '<prefix>' || <id>::text`)
    for (const [, prefix, column] of keys) {
      t.ok(prefix === CLIENT_LOCK_PREFIX || prefix === CAMPAIGN_LOCK_PREFIX, `${name} locks with a known prefix (${prefix})`)
      if (column === 'client_id') t.equal(prefix, CLIENT_LOCK_PREFIX, `${name} locks a client with the client prefix`)
    }
  }
  // The SQL spelling and the module's agree on the very key, not only the prefix.
  const id = '00000000-0000-4000-8000-000000000001'
  const both = await pool.query<{ sql: string, module: string }>(
    `select hashtextextended('${CLIENT_LOCK_PREFIX}' || $1::uuid::text, 0)::text as sql, hashtextextended($2, 0)::text as module`, [id, clientLockKey(id)])
  t.equal(both.rows[0]?.sql, both.rows[0]?.module)
})
