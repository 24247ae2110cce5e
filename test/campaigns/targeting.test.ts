import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign, enrolledExternalIds } from '../helpers/campaigns.js'
import { type SeedLead, seedLeads } from '../helpers/seed.js'

// Each lead sits on or just past a boundary of some targeting part.
const LEADS: SeedLead[] = [
  { externalId: 't1', tags: ['a', 'b'], engagementLevel: 'high', icpScore: 80, createdAt: '2024-01-01T00:00:00Z' },
  { externalId: 't2', tags: ['a'], engagementLevel: 'medium', icpScore: 20, createdAt: '2024-01-10T00:00:00Z' },
  { externalId: 't3', tags: ['b'], engagementLevel: 'low', icpScore: null, createdAt: '2024-01-20T00:00:00Z' },
  { externalId: 't4', tags: ['c'], engagementLevel: null, icpScore: 50, createdAt: '2024-01-31T23:59:59Z' },
  { externalId: 't5', tags: ['a', 'b'], engagementLevel: 'high', icpScore: 100, createdAt: '2024-01-05T00:00:00Z', optedOut: true },
  { externalId: 't6', tags: [], engagementLevel: 'high', icpScore: 0, createdAt: '2023-12-31T23:59:59Z' }
]

const CASES: Array<[string, Record<string, unknown>, string[]]> = [
  ['no targeting: every lead but the opted-out one', {}, ['t1', 't2', 't3', 't4', 't6']],
  ['tags, any (default)', { tags: ['a', 'b'] }, ['t1', 't2', 't3']],
  ['tags, any (explicit)', { tags: ['b', 'c'], tagMatch: 'any' }, ['t1', 't3', 't4']],
  ['tags, all', { tags: ['a', 'b'], tagMatch: 'all' }, ['t1']],
  ['engagement levels (null level never matches)', { engagementLevels: ['high', 'low'] }, ['t1', 't3', 't6']],
  ['icp range is inclusive; null icp excluded', { icpScore: { min: 20, max: 50 } }, ['t2', 't4']],
  ['icp min 0 still excludes null icp', { icpScore: { min: 0 } }, ['t1', 't2', 't4', 't6']],
  ['icp max alone excludes null icp', { icpScore: { max: 20 } }, ['t2', 't6']],
  ['created range is inclusive at both ends', { createdAfter: '2024-01-10T00:00:00Z', createdBefore: '2024-01-31T23:59:59Z' }, ['t2', 't3', 't4']],
  ['createdAfter alone', { createdAfter: '2024-01-01T00:00:00Z' }, ['t1', 't2', 't3', 't4']],
  ['createdBefore alone', { createdBefore: '2024-01-01T00:00:00Z' }, ['t1', 't6']],
  ['every given part must hold', { tags: ['a'], engagementLevels: ['high', 'medium'], icpScore: { min: 10 } }, ['t1', 't2']],
  ['opted-out leads never match, even when only they would', { tags: ['a', 'b'], tagMatch: 'all', icpScore: { min: 90 } }, []]
]

t.test('each targeting part, via preview and via enrollment', async t => {
  const app = await buildTestApp(t)
  for (const [name, targeting, expected] of CASES) {
    // A fresh client per case, so earlier enrollments do not make leads active elsewhere.
    const { headers } = await app.createClient()
    await seedLeads(app, headers, LEADS)
    const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name, targeting, messages: [{ body: 'Hi', delayMinutes: 0 }] } })
    t.equal(preview.statusCode, 200, `${name}: ${preview.body}`)
    t.equal(preview.json().totalMatching, expected.length, `${name}: preview totalMatching`)
    t.same(preview.json().sample.map((l: { externalId: string }) => l.externalId).sort(), expected, `${name}: preview sample`)
    const campaign = await createCampaign(app, headers, { name, targeting })
    t.same(campaign.enrollment, { totalMatching: expected.length, enrolled: expected.length }, `${name}: enrollment`)
    t.notOk('warning' in campaign, `${name}: no warning when every matching lead was enrolled`)
    t.same(await enrolledExternalIds(app, campaign.id), expected, `${name}: enrolled leads`)
  }
})

t.test('preview numbers, sample in cap order, and preview writes nothing', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  // 15 eligible "p" leads with distinct icp, 3 opted out, 2 active in another campaign, 4 off-target.
  const leads: SeedLead[] = [
    ...Array.from({ length: 15 }, (_, i) => ({ externalId: `p${String(i).padStart(2, '0')}`, tags: ['t'], icpScore: i * 5 })),
    ...Array.from({ length: 3 }, (_, i) => ({ externalId: `o${i}`, tags: ['t'], icpScore: 99, optedOut: true })),
    { externalId: 'busy1', tags: ['t', 'busy'], icpScore: 99 },
    { externalId: 'busy2', tags: ['t', 'busy'], icpScore: null },
    ...Array.from({ length: 4 }, (_, i) => ({ externalId: `x${i}`, tags: ['other'], icpScore: 100 }))
  ]
  await seedLeads(app, headers, leads)
  const other = await createCampaign(app, headers, { targeting: { tags: ['busy'] } })
  t.equal(other.leadsEnrolled, 2)

  const snapshot = async (): Promise<unknown> => (await app.ctx.pool.query(`
    select (select count(*) from campaigns)::int as campaigns, (select count(*) from enrollments)::int as enrollments,
           (select count(*) from idempotency_keys)::int as keys, (select json_agg(c order by id) from campaigns c) as rows`)).rows[0]
  const before = await snapshot()
  const preview = async (cap?: number): Promise<any> => {
    const response = await app.api.inject({
      method: 'POST', url: '/v1/campaigns/preview', headers: { ...headers, 'idempotency-key': `preview-${cap ?? 'none'}` },
      payload: { name: 'P', targeting: { tags: ['t'] }, messages: [{ body: 'Hi', delayMinutes: 0 }], ...(cap !== undefined ? { maxLeadsToEnroll: cap } : {}) }
    })
    t.equal(response.statusCode, 200, response.body)
    return response.json()
  }
  const capped = await preview(4)
  t.match(capped, { totalMatching: 15, wouldEnroll: 4, excluded: { optedOut: 3, activeElsewhere: 2 } })
  const inCapOrder = Array.from({ length: 15 }, (_, i) => `p${String(14 - i).padStart(2, '0')}`)
  t.same(capped.sample.map((l: { externalId: string }) => l.externalId), inCapOrder.slice(0, 4), 'sample: the 4 the cap lets in, in cap order (highest icp first)')
  const uncapped = await preview(100)
  t.match(uncapped, { totalMatching: 15, wouldEnroll: 15 })
  t.same(uncapped.sample.map((l: { externalId: string }) => l.externalId), inCapOrder.slice(0, 10), 'at most 10')
  t.match((await preview()), { totalMatching: 15, wouldEnroll: 15 })
  t.same(await snapshot(), before, 'preview wrote nothing')
})

t.test('preview: sample is capped at 10 and orders null icp last, then oldest createdAt, then id', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await seedLeads(app, headers, [
    { externalId: 'null-old', icpScore: null, createdAt: '2020-01-01T00:00:00Z' },
    { externalId: 'low-new', icpScore: 1, createdAt: '2024-01-01T00:00:00Z' },
    { externalId: 'low-old', icpScore: 1, createdAt: '2023-01-01T00:00:00Z' },
    ...Array.from({ length: 12 }, (_, i) => ({ externalId: `tie${i}`, icpScore: 1, createdAt: '2023-01-01T00:00:00Z' }))
  ])
  const response = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'P', messages: [{ body: 'Hi', delayMinutes: 0 }] } })
  const sample = response.json().sample.map((l: { id: string }) => l.id)
  const { rows } = await app.ctx.pool.query<{ id: string }>(`
    select id from leads where client_id = $1 and icp_score = 1 and created_at = '2023-01-01T00:00:00Z' order by id limit 10`, [clientId])
  t.equal(response.json().totalMatching, 15)
  t.same(sample, rows.map(r => r.id), 'ties on icp and createdAt decided by id; newer and null-icp leads do not make the first 10')
})
