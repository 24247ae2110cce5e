// Enrollment: one POST /v1/campaigns enrolling N leads through the running service, against one
// bare INSERT ... SELECT of the same leads into a copy of enrollments (same columns, checks and
// indexes). `npm run bench:enroll` is the in-process variant with --explain.
import type pg from 'pg'
import { seedLeads } from './bench-database.js'
import type { Child } from './child.js'
import type { Row } from './table.js'

const MESSAGES = [{ body: 'Hi {{first_name}}!', delayMinutes: 0 }, { body: 'Still there?', delayMinutes: 1440 }]

export interface EnrollSetup {
  pool: pg.Pool
  service: Child
  client: { id: string, apiKey: string }
  leads: number
}

export async function benchEnroll ({ pool, service, client, leads }: EnrollSetup): Promise<Row> {
  await seedLeads(pool, client.id, leads)
  await pool.query('create table bare_enrollments (like enrollments including all) with (autovacuum_enabled = false)')
  const campaign = await pool.query<{ id: string }>(`insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes)
    values ($1, 'bare', 'completed', '{}', '[]', 1440) returning id`, [client.id])
  await pool.query('checkpoint')
  let started = performance.now()
  const bare = await pool.query(`
    insert into bare_enrollments (campaign_id, lead_id, client_id, enrolled_at, completes_at, next_step, next_due_at)
    select $1, l.id, l.client_id, now(), now() + make_interval(mins => 1440), 0, now() from leads l
    where l.client_id = $2 and not l.opted_out`, [campaign.rows[0]?.id, client.id])
  const floorMs = performance.now() - started
  await pool.query('drop table bare_enrollments')
  await pool.query('checkpoint')

  started = performance.now()
  const response = await fetch(`http://127.0.0.1:${service.port}/v1/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Everyone', messages: MESSAGES })
  })
  const serviceMs = performance.now() - started
  if (response.status !== 201) throw new Error(`POST /v1/campaigns answered ${response.status}: ${await response.text()}`)
  const body = await response.json() as { enrollment: { enrolled: number } }
  if (body.enrollment.enrolled !== bare.rowCount) throw new Error(`enroll: the service enrolled ${body.enrollment.enrolled}, the floor ${bare.rowCount}`)
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  return {
    path: `enroll ${body.enrollment.enrolled.toLocaleString('en-US')} leads (POST /v1/campaigns)`,
    service: seconds(serviceMs),
    floor: `${seconds(floorMs)} (one INSERT … SELECT)`,
    ratio: serviceMs / floorMs,
    goal: 'within 10% of 1.23–1.34',
    peakRss: await service.maxRss()
  }
}
