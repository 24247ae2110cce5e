// Reads: GET /v1/campaigns/{id}, GET /v1/leads/{id} and a list page of 50, through the service
// and through the bare floor server, at 32 connections. Rounds alternate floor and service so
// that load from elsewhere on the machine falls on both alike.
import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import { cpuTime, startScript, type Child } from './child.js'
import { quantile, runLoad } from './load.js'
import type { Row } from './table.js'

export interface ReadSetup {
  pool: pg.Pool
  databaseUrl: string
  service: Child
  clientId: string
  apiKey: string
  poolSize: number
  quick: boolean
}

/**
 * CPU time (ms) of each PostgreSQL backend on this database, by pid: where the server is a local
 * process (Linux /proc), the database's share of a request, which the service and the floor both
 * spend on the same cores. Empty otherwise.
 */
async function backendsCpuMs (pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'postgres') cpu.set(pid, await cpuTime(pid))
  }
  return cpu
}

export async function benchReads (setup: ReadSetup): Promise<Row[]> {
  const { pool, clientId } = setup
  // A hundred campaigns to read; leads are those the import bench left (or any of this client).
  await pool.query(`insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes)
    select $1, 'read ' || g, 'completed', '{"tags":["vip"]}', '[{"body":"Hi {{first_name}}!","delayMinutes":0}]', 0
    from generate_series(1, 100) g`, [clientId])
  await pool.query('vacuum analyze campaigns')
  const campaigns = (await pool.query<{ id: string }>('select id from campaigns where client_id = $1 order by random() limit 100', [clientId])).rows.map(r => r.id)
  const leads = (await pool.query<{ id: string }>('select id from leads where client_id = $1 order by random() limit 1000', [clientId])).rows.map(r => r.id)
  const floor = await startScript('./floor-server.ts', { DATABASE_URL: setup.databaseUrl, POOL_SIZE: String(setup.poolSize), CLIENT_ID: clientId })
  const paths: Array<[string, string[]]> = [
    ['GET /v1/campaigns/{id}', campaigns.map(id => `/campaigns/${id}`)],
    ['GET /v1/leads/{id}', leads.map(id => `/leads/${id}`)],
    ['GET /v1/leads?limit=50', ['/leads?limit=50']]
  ]
  const rounds = setup.quick ? 2 : 3
  const roundMs = setup.quick ? 2000 : 5000
  const rows: Row[] = []
  try {
    for (const [name, list] of paths) {
      const load = (port: number, prefix: string, headers?: Record<string, string>) => runLoad({
        port, paths: list.map(path => prefix + path), headers, connections: 32, maxRequests: 1_000_000, maxMs: roundMs
      })
      const serviceRun = () => load(setup.service.port, '/v1', { authorization: `Bearer ${setup.apiKey}` })
      const floorRun = () => load(floor.port, '')
      // Warm both (JIT, pools, plans) before any timing.
      await floorRun(); await serviceRun()
      const totals = { service: { requests: 0, ms: 0, errors: 0, latencies: [] as number[] }, floor: { requests: 0, ms: 0, errors: 0, latencies: [] as number[] } }
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['floor', 'service'] as const) : (['service', 'floor'] as const)
        for (const which of order) {
          const child = which === 'floor' ? floor : setup.service
          const cpuBefore = await child.cpuMs()
          const xacts = async () => (await pool.query<{ n: number }>('select xact_commit::int as n from pg_stat_database where datname = current_database()')).rows[0]?.n ?? 0
          const xactBefore = await xacts()
          const backendsBefore = await backendsCpuMs(pool)
          const result = which === 'floor' ? await floorRun() : await serviceRun()
          const cpuUs = (await child.cpuMs() - cpuBefore) * 1000 / result.requests
          // Only one of the two is loaded in a round: the database's CPU in it is that one's (a backend new since counts whole).
          let backendsMs = 0
          for (const [pid, ms] of await backendsCpuMs(pool)) backendsMs += ms - (backendsBefore.get(pid) ?? 0)
          if (process.env.BENCH_VERBOSE !== undefined) {
            console.log(name, which, Math.round(result.requests / result.ms * 1000), 'req/s', Math.round(cpuUs), 'µs CPU per request,', Math.round(backendsMs * 1000 / result.requests), 'µs PostgreSQL CPU per request,', ((await xacts() - xactBefore) / result.requests).toFixed(2), 'transactions per request')
          }
          const total = totals[which]
          total.requests += result.requests; total.ms += result.ms; total.errors += result.errors
          for (const latency of result.latencies) total.latencies.push(latency)
        }
      }
      const rate = (t: typeof totals.service) => t.requests / (t.ms / 1000)
      if (totals.service.errors > 0 || totals.floor.errors > 0) throw new Error(`${name}: ${totals.service.errors} service and ${totals.floor.errors} floor answers were not 200`)
      rows.push({
        path: `${name}, 32 conn.`,
        service: `${Math.round(rate(totals.service)).toLocaleString('en-US')} req/s`,
        floor: `${Math.round(rate(totals.floor)).toLocaleString('en-US')} req/s`,
        ratio: rate(totals.service) / rate(totals.floor),
        goal: name.includes('?') ? '≥ 0.6' : '≥ 0.8',
        p99: `${quantile(totals.service.latencies, 0.99).toFixed(1)} ms (floor ${quantile(totals.floor.latencies, 0.99).toFixed(1)})`,
        peakRss: await setup.service.maxRss()
      })
    }
  } finally {
    await floor.stop()
  }
  return rows
}
