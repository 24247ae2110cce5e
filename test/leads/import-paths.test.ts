import { sql } from 'kysely'
import type pg from 'pg'
import t, { type Test } from 'tap'
import { sampleOf } from '../../src/leads/repository.js'
import { airtableClient, airtableEnv, airtableStandIn, seedEnrollments, syncJobs } from '../helpers/airtable.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'

// An import takes one of two paths: a batch that looks all new (no sampled externalId known) is
// COPYed under a savepoint with no probe; otherwise, or when that COPY meets a known externalId
// after all (the savepoint rolls back), the probe, UPDATE and COPY of the new ones. Both must
// give the same counts, opt-outs, stopped enrollments and Airtable jobs.

/** The statements the service's pool sends from now on ('copy' for a COPY), to tell the path taken. */
function statementsOf (app: TestApp): string[] {
  const seen: string[] = []
  const wrapped = new WeakSet<pg.PoolClient>()
  app.ctx.pool.on('acquire', client => {
    if (wrapped.has(client)) return
    wrapped.add(client)
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string }
      seen.push(typeof first === 'string' ? first : first.text ?? 'copy')
      return query(...args)
    }
  })
  return seen
}

const PROBE = /select external_id from leads/
const tookPath = (statements: string[]) => ({
  tried: statements.some(s => /^savepoint all_new$/.test(s)),
  fellBack: statements.some(s => /^rollback to savepoint all_new$/.test(s)),
  probed: statements.some(s => PROBE.test(s))
})

interface StoredLead { id: string, externalId: string, firstName: string, phone: string | null, optedOut: boolean, optOutSource: string | null, optedOutAt: string | null }

async function storedLeads (app: TestApp, headers: Record<string, string>): Promise<Map<string, StoredLead>> {
  const data = (await app.api.inject({ method: 'GET', url: '/v1/leads?limit=200', headers })).json().data as StoredLead[]
  return new Map(data.map(lead => [lead.externalId, lead]))
}

async function enrollmentStatus (app: TestApp, leadId: string): Promise<string | undefined> {
  return (await sql<{ status: string }>`select status from enrollments where lead_id = ${leadId}`.execute(app.ctx.db)).rows[0]?.status
}

/** The lead ids in the Airtable jobs queued since the last call (which empties the queue). */
async function queuedLeads (app: TestApp): Promise<Set<string>> {
  const ids = new Set((await syncJobs(app)).flatMap(job => job.payload.leadIds))
  await sql`delete from graphile_worker._private_jobs`.execute(app.ctx.db)
  return ids
}

async function setUp (t: Test) {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn) })
  const client = await airtableClient(app)
  // Two known leads with an active enrollment each (and an Airtable record).
  const seeded = await seedEnrollments(app, client.id, { leads: 2 })
  const { rows } = await sql<{ id: string, external_id: string }>`select id, external_id from leads where id = any(${seeded.leadIds}::uuid[]) order by external_id`.execute(app.ctx.db)
  await queuedLeads(app)
  const bulk = async (leads: unknown[]) => await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: client.headers, payload: { leads } })
  return { app, client, enrolled: rows, bulk, statements: statementsOf(app) }
}

const fresh = (prefix: string, count: number, optedOutAt: number[] = []) => Array.from({ length: count }, (_, i) => ({
  externalId: `${prefix}-${i}`, firstName: `F${i}`, phone: '(202) 555-0100', airtableRecordId: `rec${prefix}${i}`,
  ...(optedOutAt.includes(i) ? { optedOut: true } : {})
}))

t.test('a batch of new leads is COPYed without the probe; those opted out at once are stamped and mirrored', async t => {
  const { app, client, bulk, statements } = await setUp(t)
  const leads = fresh('n', 40, [0, 17, 39])
  const response = await bulk(leads)
  t.same(response.json(), { created: 40, updated: 0, unchanged: 0 })
  t.same(tookPath(statements), { tried: true, fellBack: false, probed: false })
  const stored = await storedLeads(app, client.headers)
  t.equal(stored.size, 42)
  t.match(stored.get('n-5'), { firstName: 'F5', phone: '+12025550100', optedOut: false, optOutSource: null, optedOutAt: null })
  const out = [0, 17, 39].map(i => stored.get(`n-${i}`))
  t.match(out, [0, 17, 39].map(() => ({ optedOut: true, optOutSource: 'api', optedOutAt: String })))
  t.same(await queuedLeads(app), new Set(out.map(lead => lead?.id)), 'the leads opted out at once, and only they, are queued for Airtable')
})

t.test('a batch of known leads takes the probe and never tries the COPY of all', async t => {
  const { app, client, enrolled, bulk, statements } = await setUp(t)
  t.same((await bulk(fresh('k', 20, [3]))).json(), { created: 20, updated: 0, unchanged: 0 })
  await queuedLeads(app)
  statements.length = 0
  const before = await storedLeads(app, client.headers)
  const leads = [
    ...fresh('k', 20).map((lead, i) => i === 4 ? { ...lead, optedOut: true } : i === 3 ? { ...lead, optedOut: false } : i === 5 ? { ...lead, firstName: 'Changed' } : i === 6 ? { ...lead, optedOut: true, firstName: 'Out' } : lead),
    { externalId: enrolled[0]?.external_id, firstName: 'Lead 1', optedOut: true }
  ]
  t.same((await bulk(leads)).json(), { created: 0, updated: 5, unchanged: 16 })
  t.same(tookPath(statements), { tried: false, fellBack: false, probed: true })
  const stored = await storedLeads(app, client.headers)
  t.match(stored.get('k-3'), { optedOut: false, optOutSource: null, optedOutAt: null })
  t.match(stored.get('k-4'), { optedOut: true, optOutSource: 'api', optedOutAt: String })
  t.match(stored.get('k-5'), { firstName: 'Changed', optedOut: false })
  t.match(stored.get('k-6'), { firstName: 'Out', optedOut: true, optOutSource: 'api' })
  t.same(stored.get('k-7'), before.get('k-7'), 'an unchanged lead is left alone')
  t.equal(await enrollmentStatus(app, enrolled[0]?.id ?? ''), 'stopped', 'a known lead opted out leaves its enrollment')
  t.equal(await enrollmentStatus(app, enrolled[1]?.id ?? ''), 'active')
  t.same(await queuedLeads(app), new Set([stored.get('k-3')?.id, stored.get('k-4')?.id, stored.get('k-6')?.id, enrolled[0]?.id]), 'every lead whose opt-out changed, and only they')
})

for (const where of ['last', 'unsampled'] as const) {
  t.test(`a batch of new leads with a known one ${where === 'last' ? 'last (the sample sees it)' : 'where the sample does not look (the COPY meets it and falls back)'}`, async t => {
    const { app, client, enrolled, bulk, statements } = await setUp(t)
    const leads: Array<Record<string, unknown>> = fresh('m', 39, [0, 20])
    const known = { externalId: enrolled[0]?.external_id, firstName: 'Known', optedOut: true }
    const sampled = new Set(sampleOf(Array.from({ length: 40 }, (_, i) => i)))
    const at = where === 'last' ? 39 : [...Array(40).keys()].reverse().find(i => !sampled.has(i)) ?? -1
    t.ok(at > 20, `the known lead goes at ${at}`)
    leads.splice(at, 0, known)
    t.same((await bulk(leads)).json(), { created: 39, updated: 1, unchanged: 0 })
    t.same(tookPath(statements), where === 'last' ? { tried: false, fellBack: false, probed: true } : { tried: true, fellBack: true, probed: true })
    const stored = await storedLeads(app, client.headers)
    t.equal(stored.size, 41, 'each lead once')
    t.match(stored.get(enrolled[0]?.external_id ?? ''), { firstName: 'Known', optedOut: true, optOutSource: 'api' })
    t.match([stored.get('m-0'), stored.get('m-20')], [{ optedOut: true, optOutSource: 'api' }, { optedOut: true, optOutSource: 'api' }])
    t.match(stored.get('m-1'), { optedOut: false, phone: '+12025550100' })
    t.equal(await enrollmentStatus(app, enrolled[0]?.id ?? ''), 'stopped')
    t.same(await queuedLeads(app), new Set([enrolled[0]?.id, stored.get('m-0')?.id, stored.get('m-20')?.id]))
  })
}

t.test('a batch with an invalid item writes nothing, on either path', async t => {
  const { app, client, enrolled, bulk } = await setUp(t)
  for (const known of [false, true]) {
    const leads: Array<Record<string, unknown>> = fresh('v', 30, [2])
    if (known) leads.splice(10, 0, { externalId: enrolled[0]?.external_id, firstName: 'Known', optedOut: true })
    leads.push({ externalId: 'v-bad', firstName: 'Bad', phone: 'call me' })
    leads[5] = { ...leads[5], phone: '12' }
    const response = await bulk(leads)
    t.equal(response.statusCode, 400)
    t.same(response.json().errors.map((error: { path: string }) => error.path), ['leads/5/phone', `leads/${leads.length - 1}/phone`])
    t.equal((await storedLeads(app, client.headers)).size, 2, 'no lead written')
    t.equal(await enrollmentStatus(app, enrolled[0]?.id ?? ''), 'active')
    t.same(await queuedLeads(app), new Set())
  }
})
