// Delivery drain: N due deliveries taken by concurrent senders through the HTTP API (claim 500,
// one batch of results per claim) against a bare SQL drain of a copy of the same rows (the same
// SKIP LOCKED claim and one UPDATE of results per batch), in the same run. Both drain all N rows,
// which fall due in four equal slices, each drained by both sides in turn (bare, service, service,
// bare, bare, service, service, bare): load from elsewhere that rises or falls during the run
// then weighs on both alike. Used by `npm run bench:delivery` (bench/delivery.ts)
// and the suite's table (bench/run.ts).
import http from 'node:http'
import pg from 'pg'
import type { Row } from './table.js'

export interface DrainSetup {
  pool: pg.Pool
  /** The service's public port (a running server: the senders speak HTTP to it). */
  port: number
  clientId: string
  apiKey: string
  count: number
  senders?: number
  batch?: number
  maxRss?: () => Promise<number | undefined>
}

export interface DrainResult {
  serviceRate: number
  bareRate: number
  ratio: number
  row: Row
}

const SLICES = 4
const NOT_YET = "now() + interval '1 year'"

/**
 * Leads with phones, a one-message campaign enrolling them, and their delivery rows (and a bare
 * copy), not due yet: each slice of them falls due when its round starts (see dueSlice).
 */
async function seed (pool: pg.Pool, clientId: string, count: number): Promise<string> {
  await pool.query(`
    insert into leads (client_id, external_id, first_name, last_name, phone, tags)
    select $1, 'drain-' || g, 'Lead', 'N' || g, '+1555' || lpad(g::text, 7, '0'), '{drain}'
    from generate_series(1, $2::int) g`, [clientId, count])
  const campaign = await pool.query<{ id: string }>(`
    insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes, leads_enrolled, activated_at)
    values ($1, 'drain', 'active', '{"tags":["drain"]}', '[{"body":"Hi {{first_name}} {{last_name}}!","delayMinutes":0}]', 0, $2, now())
    returning id`, [clientId, count])
  const campaignId = campaign.rows[0]?.id ?? ''
  // What enrollment and the tick make: active enrollments whose message 0 has its row, due now.
  await pool.query(`
    insert into enrollments (campaign_id, lead_id, client_id, enrolled_at, completes_at, next_step)
    select $1, id, client_id, now() - interval '1 minute', now(), 0 from leads where client_id = $2 and tags = '{drain}'`, [campaignId, clientId])
  await pool.query(`
    insert into deliveries (client_id, campaign_id, lead_id, step, due_at)
    select client_id, campaign_id, lead_id, 0, ${NOT_YET} from enrollments where campaign_id = $1`, [campaignId])
  await pool.query(`create table drain_slices as
    select lead_id, (row_number() over (order by lead_id) - 1) % ${SLICES} as slice from deliveries where campaign_id = $1`, [campaignId])
  await pool.query('create index on drain_slices (slice, lead_id)')
  // The bare drain's copy: same columns, checks and indexes (LIKE ... INCLUDING ALL), same rows.
  await pool.query('create table bare_deliveries (like deliveries including all)')
  await pool.query('insert into bare_deliveries select * from deliveries where campaign_id = $1', [campaignId])
  await pool.query('vacuum analyze leads, enrollments, deliveries, bare_deliveries, drain_slices')
  return campaignId
}

/** Makes one slice of the rows due (in the table the next round drains), then a checkpoint. */
async function dueSlice (pool: pg.Pool, table: 'deliveries' | 'bare_deliveries', campaignId: string, slice: number): Promise<void> {
  await pool.query(`update ${table} d set due_at = now() - interval '1 minute' from drain_slices s
    where s.slice = $2 and d.lead_id = s.lead_id and d.campaign_id = $1`, [campaignId, slice])
  await pool.query(`vacuum analyze ${table}`)
  await pool.query('checkpoint')
}

async function bareDrain (pool: pg.Pool, clientId: string, senders: number, batch: number): Promise<number> {
  const sender = async (): Promise<number> => {
    const client = await pool.connect()
    let drained = 0
    try {
      for (;;) {
        // The tightest form found: the locked ids as an array, then one index probe each.
        const claimed = await client.query<{ id: string }>(`
          update bare_deliveries d set status = 'leased', attempts = d.attempts + 1, lease_expires_at = now() + interval '300 seconds', updated_at = now()
          where d.id = any(array(
            select id from bare_deliveries
            where client_id = $1 and status in ('pending', 'leased') and due_at <= now() and (status = 'pending' or lease_expires_at <= now())
            order by due_at limit $2 for update skip locked))
          returning d.id`, [clientId, batch])
        if (claimed.rows.length === 0) return drained
        const ids = claimed.rows.map(r => r.id)
        await client.query(`
          update bare_deliveries d set status = 'sent', sent_at = now(), provider_message_id = r.pm, lease_expires_at = null, updated_at = now()
          from unnest($1::uuid[], $2::text[]) as r (id, pm) where d.id = r.id and d.status = 'leased'`, [ids, ids.map(id => 'SM' + id.slice(0, 8))])
        drained += ids.length
      }
    } finally {
      client.release()
    }
  }
  return (await Promise.all(Array.from({ length: senders }, sender))).reduce((a, b) => a + b, 0)
}

async function serviceDrain (port: number, apiKey: string, senders: number, batch: number): Promise<number> {
  // The senders speak HTTP as the read bench's load generator does (node:http, keep-alive): the
  // client shares the cores with the service and its database, and fetch cost it about twice the
  // CPU per batch (measured: 4.1 against 1.9 ms per 500 messages), which then went missing from the
  // service's side of the ratio.
  const agent = new http.Agent({ keepAlive: true, maxSockets: senders })
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const text = JSON.stringify(body)
    const answer = await new Promise<{ status: number, text: string }>((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1', port, path: `/v1${path}`, method: 'POST', agent,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
      }, response => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }) })
        response.on('error', reject)
      })
      request.on('error', reject)
      request.end(text)
    })
    if (answer.status !== 200) throw new Error(`POST /v1${path} answered ${answer.status}: ${answer.text}`)
    return JSON.parse(answer.text) as T
  }
  const sender = async (): Promise<number> => {
    let drained = 0
    for (;;) {
      const { data } = await post<{ data: Array<{ id: string }> }>('/deliveries/claim', { limit: batch })
      if (data.length === 0) return drained
      const answer = await post<{ applied: number }>('/deliveries/results', { results: data.map(d => ({ id: d.id, outcome: 'sent', providerMessageId: 'SM' + d.id.slice(0, 8) })) })
      if (answer.applied !== data.length) throw new Error(`results applied ${answer.applied} of ${data.length}`)
      drained += data.length
    }
  }
  try {
    return (await Promise.all(Array.from({ length: senders }, sender))).reduce((a, b) => a + b, 0)
  } finally {
    agent.destroy()
  }
}

export async function benchDeliveryDrain (setup: DrainSetup): Promise<DrainResult> {
  const { pool, clientId, count } = setup
  const senders = setup.senders ?? 4
  const batch = setup.batch ?? 500
  const campaignId = await seed(pool, clientId, count)
  let bare = 0
  let served = 0
  let bareSeconds = 0
  let serviceSeconds = 0
  for (let slice = 0; slice < SLICES; slice++) {
    for (const side of slice % 2 === 0 ? ['bare', 'service'] as const : ['service', 'bare'] as const) {
      await dueSlice(pool, side === 'bare' ? 'bare_deliveries' : 'deliveries', campaignId, slice)
      const started = performance.now()
      if (side === 'bare') bare += await bareDrain(pool, clientId, senders, batch)
      else served += await serviceDrain(setup.port, setup.apiKey, senders, batch)
      const seconds = (performance.now() - started) / 1000
      if (side === 'bare') bareSeconds += seconds
      else serviceSeconds += seconds
    }
  }
  await pool.query('drop table drain_slices')

  const check = await pool.query<{ sent: number, completed: number }>(`select
    (select count(*)::int from deliveries where campaign_id = $1 and status = 'sent') as sent,
    (select count(*)::int from enrollments where campaign_id = $1 and status = 'completed') as completed`, [campaignId])
  const { sent, completed } = check.rows[0] ?? { sent: 0, completed: 0 }
  if (bare !== count || served !== count || sent !== count || completed !== count) {
    throw new Error(`drain mismatch: bare ${bare}, service ${served}, sent ${sent}, completed enrollments ${completed}, of ${count}`)
  }
  const serviceRate = served / serviceSeconds
  const bareRate = bare / bareSeconds
  const ratio = serviceRate / bareRate
  const rate = (value: number, seconds: number) => `${Math.round(value)} msg/s (${seconds.toFixed(1)} s)`
  return {
    serviceRate,
    bareRate,
    ratio,
    row: {
      path: `delivery drain: ${count} due, ${senders} senders, claim ${batch} + batch results (each side all of them, alternating)`,
      service: rate(serviceRate, serviceSeconds),
      floor: rate(bareRate, bareSeconds) + ' bare SKIP LOCKED claim + UPDATE',
      ratio,
      goal: '≥ 0.5',
      ...(setup.maxRss !== undefined ? { peakRss: await setup.maxRss() } : {})
    }
  }
}
