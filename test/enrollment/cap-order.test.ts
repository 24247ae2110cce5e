import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, enrolledExternalIds, leadIdsOf } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

interface Row { external: string, icp: number | null, created: string }

// Ties on icp and createdAt (down to the microsecond, which a JS Date cannot hold) so that id
// decides; chunk size 1 makes every lead its own chunk, so the keyset cursor must be exact.
const ROWS: Row[] = [
  { external: 'n-old', icp: null, created: '2020-01-01 00:00:00+00' },
  { external: 'n-new', icp: null, created: '2024-01-01 00:00:00+00' },
  { external: 'z-old', icp: 0, created: '2024-06-01 00:00:00+00' },
  { external: 'h-1', icp: 90, created: '2024-01-01 00:00:00.000002+00' },
  { external: 'h-2', icp: 90, created: '2024-01-01 00:00:00.000001+00' },
  { external: 'h-3', icp: 90, created: '2024-01-01 00:00:00.000001+00' },
  { external: 'h-4', icp: 90, created: '2024-01-01 00:00:00.000001+00' },
  { external: 'h-5', icp: 90, created: '2024-01-01 00:00:00.000002+00' },
  { external: 'm-1', icp: 50, created: '2023-01-01 00:00:00+00' },
  { external: 'm-2', icp: 50, created: '2023-01-01 00:00:00+00' },
  { external: 'top', icp: 100, created: '2025-01-01 00:00:00+00' }
]

/** The contract's cap order: highest icp first (nulls last), oldest createdAt, then id. */
function capOrder (rows: Array<Row & { id: string }>): string[] {
  const rank = (icp: number | null): number => -(icp ?? -1)
  const micros = (created: string): string => created.replace(/^(\S+ \S+?)(\.\d+)?\+00$/, (_, s: string, f?: string) => s + (f ?? '.').padEnd(7, '0'))
  return [...rows].sort((a, b) => rank(a.icp) - rank(b.icp) || micros(a.created).localeCompare(micros(b.created)) || a.id.localeCompare(b.id))
    .map(row => row.external)
}

for (const chunk of ['1', '3', '25000']) {
  t.test(`the cap takes leads in cap order, ties decided by id (chunk size ${chunk})`, async t => {
    const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: chunk } })
    const { id: clientId, headers } = await app.createClient()
    await seedLeads(app, headers, ROWS.map(row => ({ externalId: row.external, icpScore: row.icp, tags: ['x'] })))
    for (const row of ROWS) {
      await app.ctx.pool.query('update leads set created_at = $1 where client_id = $2 and external_id = $3', [row.created, clientId, row.external])
    }
    const ids = await leadIdsOf(app, clientId)
    const order = capOrder(ROWS.map(row => ({ ...row, id: ids.get(row.external) ?? '' })))
    t.same([order[0], ...order.slice(-2)], ['top', 'n-old', 'n-new'], 'sanity: the reference puts the highest icp first, nulls last')

    // Cut one audience in sequence: each later campaign skips the earlier ones' (active) leads.
    const first = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 4 })
    t.same(await enrolledExternalIds(app, first.id), order.slice(0, 4).sort(), 'cap 4: the first four in cap order')
    t.match(first.warning, { totalMatching: 11, enrolled: 4, remaining: 7, reason: 'enrollment_cap' })
    const second = await createCampaign(app, headers, { targeting: { tags: ['x'] }, maxLeadsToEnroll: 5 })
    t.same(await enrolledExternalIds(app, second.id), order.slice(4, 9).sort(), 'cap 5: the next five')
    t.match(second.warning, { totalMatching: 7, enrolled: 5, remaining: 2 })
    const third = await createCampaign(app, headers, { targeting: { tags: ['x'] } })
    t.same(await enrolledExternalIds(app, third.id), order.slice(9).sort(), 'no cap: the rest')
    t.notOk('warning' in third)

    const { rows } = await app.ctx.pool.query<{ external_id: string }>(`
      select l.external_id from enrollments e join leads l on l.id = e.lead_id
      where e.campaign_id = $1 order by e.enrolled_at, l.enroll_rank, l.created_at, l.id`, [second.id])
    t.same(rows.map(r => r.external_id), order.slice(4, 9), 'enrolled in cap order')
  })
}
