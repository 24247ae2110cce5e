// Import: N leads through POST /v1/leads/bulk (5,000 per call, one after another) against one
// COPY of the same rows into the same table (indexes, checks, foreign key, triggers).
import type pg from 'pg'
import type { Child } from './child.js'
import { copyFrom, csvArray, csvField } from './copy.js'
import type { Row } from './table.js'

const PER_CALL = 5000
const TAGS = [['vip', 'kajabi'], ['kajabi'], ['webinar', 'kajabi'], []]
const LEVELS = ['high', 'medium', 'low']

/** The i-th lead: every field an import usually carries. */
function lead (i: number) {
  return {
    externalId: `crm-${i}`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    phone: `+1202555${String(i % 10_000).padStart(4, '0')}`,
    email: `lead${i}@example.com`,
    tags: TAGS[i % 4] as string[],
    engagementLevel: LEVELS[i % 3] as string,
    icpScore: (i * 7919) % 101
  }
}

export interface ImportSetup {
  pool: pg.Pool
  service: Child
  apiKey: string
  count: number
}

export async function benchImport ({ pool, service, apiKey, count }: ImportSetup): Promise<Row> {
  // Bodies are made before timing: what the clock sees is the service's work, not the bench's.
  const bodies: Buffer[] = []
  for (let start = 0; start < count; start += PER_CALL) {
    const leads = Array.from({ length: Math.min(PER_CALL, count - start) }, (_, k) => lead(start + k))
    bodies.push(Buffer.from(JSON.stringify({ leads })))
  }
  const csv = Buffer.from(Array.from({ length: count }, (_, i) => {
    const l = lead(i)
    return [csvField(l.externalId), csvField(l.firstName), csvField(l.lastName), csvField(l.phone), csvField(l.email), csvArray(l.tags), csvField(l.engagementLevel), csvField(l.icpScore)].join(',')
  }).join('\n') + '\n')
  // The floor copies into the same table (its indexes, foreign key and triggers), for a client
  // of its own; it goes first, so the service's import meets the bigger indexes.
  const client = (await pool.query<{ id: string }>("insert into clients (name) values ('COPY floor') returning id")).rows[0]?.id
  await pool.query('checkpoint')
  // PostgreSQL 15 has no COPY ... DEFAULT: the floor client's id is the column default meanwhile.
  await pool.query(`alter table leads alter column client_id set default '${client}'`)
  const connection = await pool.connect()
  let started = performance.now()
  let copied: number
  try {
    copied = await copyFrom(connection, `copy leads (external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score)
      from stdin with (format csv)`, csv)
  } finally {
    connection.release()
  }
  const floorMs = performance.now() - started
  await pool.query('alter table leads alter column client_id drop default')
  await pool.query('checkpoint')

  started = performance.now()
  let created = 0
  for (const body of bodies) {
    const response = await fetch(`http://127.0.0.1:${service.port}/v1/leads/bulk`, {
      method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body
    })
    if (response.status !== 200) throw new Error(`POST /v1/leads/bulk answered ${response.status}: ${await response.text()}`)
    created += (await response.json() as { created: number }).created
  }
  const serviceMs = performance.now() - started
  if (created !== count || copied !== count) throw new Error(`import: the service created ${created}, COPY ${copied}, of ${count}`)
  const rate = (ms: number) => `${(ms / 1000).toFixed(2)} s (${Math.round(count / ms * 1000).toLocaleString('en-US')}/s)`
  return {
    path: `import ${count.toLocaleString('en-US')} leads, ${PER_CALL.toLocaleString('en-US')} per call`,
    service: rate(serviceMs),
    floor: `COPY: ${rate(floorMs)}`,
    ratio: floorMs / serviceMs,
    goal: '≥ 0.8',
    peakRss: await service.maxRss()
  }
}
