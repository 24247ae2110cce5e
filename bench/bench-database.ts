import { randomBytes } from 'node:crypto'
import pg from 'pg'

// The bench owns a throw-away database on the machine's PostgreSQL (or the server named by
// BENCH_DATABASE_URL / TEST_DATABASE_URL / DATABASE_URL: any database on it, we create our own).
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'

async function onServer (statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export interface BenchDatabase {
  url: string
  drop: () => Promise<void>
}

export async function createBenchDatabase (): Promise<BenchDatabase> {
  const name = `cs_bench_${randomBytes(5).toString('hex')}`
  await onServer(`create database ${name}`)
  const url = new URL(SERVER_URL)
  url.pathname = '/' + name
  let dropped = false
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return
      dropped = true
      await onServer(`drop database if exists ${name} with (force)`)
    }
  }
}

/**
 * N leads for one client in one set-based statement. The mix gives ties on icp and createdAt,
 * 10% null icp, 2% opted out, and tags where "vip" is on a quarter of the leads.
 */
export async function seedLeads (pool: pg.Pool, clientId: string, count: number): Promise<void> {
  await pool.query(`
    insert into leads (client_id, external_id, first_name, tags, engagement_level, icp_score, opted_out, created_at)
    select $1, 'lead-' || g, 'Lead ' || g,
      case g % 4 when 0 then '{vip,kajabi}'::text[] when 1 then '{kajabi}' when 2 then '{webinar,kajabi}' else '{}' end,
      (array['high', 'medium', 'low'])[1 + g % 3],
      case when g % 10 = 0 then null else (g::bigint * 7919) % 101 end,
      g % 50 = 0,
      timestamptz '2024-01-01' + ((g::bigint * 104729) % 200000) * interval '1 minute'
    from generate_series(1, $2::int) g`, [clientId, count])
  // What autovacuum would have done by the time a real client creates a campaign.
  await pool.query('vacuum analyze leads')
}
