import { deepStrictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { enrolledExternalIds, leadIdsOf, postCampaign } from '../helpers/campaigns.js'
import { seedLeads } from '../helpers/seed.js'

// The engine against a reference model written as plain filter + sort + slice. Small value sets
// make ties on icp and createdAt common, so the id tie-break and the cursor are exercised.

const TAGS = ['a', 'b', 'c']
const LEVELS = ['high', 'medium', 'low'] as const
const DATES = ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']

interface ModelLead { tags: string[], engagementLevel: typeof LEVELS[number] | null, icpScore: number | null, createdAt: string, optedOut: boolean }
interface Targeting { tags?: string[], tagMatch?: 'any' | 'all', engagementLevels?: string[], icpScore?: { min?: number, max?: number }, createdAfter?: string, createdBefore?: string }

const lead = fc.record({
  tags: fc.subarray(TAGS),
  engagementLevel: fc.constantFrom(null, ...LEVELS),
  icpScore: fc.constantFrom(null, 0, 50, 50, 100),
  createdAt: fc.constantFrom(...DATES),
  optedOut: fc.boolean()
})

const bound = fc.option(fc.constantFrom(0, 30, 50, 100), { nil: undefined, freq: 2 })
const targeting: fc.Arbitrary<Targeting> = fc.record({
  tags: fc.option(fc.subarray(TAGS, { minLength: 1 }), { nil: undefined, freq: 2 }),
  tagMatch: fc.option(fc.constantFrom('any' as const, 'all' as const), { nil: undefined, freq: 2 }),
  engagementLevels: fc.option(fc.subarray([...LEVELS], { minLength: 1 }), { nil: undefined, freq: 2 }),
  icpScore: fc.option(fc.tuple(bound, bound).map(([x, y]) => {
    const [min, max] = x !== undefined && y !== undefined && x > y ? [y, x] : [x, y]
    return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) }
  }), { nil: undefined, freq: 2 }),
  created: fc.option(fc.tuple(fc.option(fc.constantFrom(...DATES), { nil: undefined, freq: 2 }), fc.option(fc.constantFrom(...DATES), { nil: undefined, freq: 2 })), { nil: undefined, freq: 2 })
}, { requiredKeys: [] }).map(({ created, ...rest }) => {
  const out: Targeting = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
  const [after, before] = created ?? []
  const [a, b] = after !== undefined && before !== undefined && after > before ? [before, after] : [after, before]
  if (a !== undefined) out.createdAfter = a
  if (b !== undefined) out.createdBefore = b
  return out
})
const cap = fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined, freq: 2 })

function matches (l: ModelLead, tg: Targeting): boolean {
  if (tg.tags !== undefined) {
    const hit = tg.tagMatch === 'all' ? tg.tags.every(x => l.tags.includes(x)) : tg.tags.some(x => l.tags.includes(x))
    if (!hit) return false
  }
  if (tg.engagementLevels !== undefined && (l.engagementLevel === null || !tg.engagementLevels.includes(l.engagementLevel))) return false
  if (tg.icpScore?.min !== undefined && (l.icpScore === null || l.icpScore < tg.icpScore.min)) return false
  if (tg.icpScore?.max !== undefined && (l.icpScore === null || l.icpScore > tg.icpScore.max)) return false
  if (tg.createdAfter !== undefined && l.createdAt < tg.createdAfter) return false
  if (tg.createdBefore !== undefined && l.createdAt > tg.createdBefore) return false
  return !l.optedOut
}

/** Eligible leads in cap order, and the ones the cap lets in. */
function model (leads: Array<ModelLead & { key: string, id: string }>, tg: Targeting, max: number | undefined, busy: Set<string>) {
  const rank = (icp: number | null): number => -(icp ?? -1)
  const eligible = leads.filter(l => matches(l, tg) && !busy.has(l.key))
    .sort((x, y) => rank(x.icpScore) - rank(y.icpScore) || x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id))
  return { total: eligible.length, enrolled: eligible.slice(0, max ?? Infinity).map(l => l.key) }
}

t.test('enrollment equals the reference model (filter, sort, slice) for random leads and targeting', async t => {
  const app = await buildTestApp(t, { env: { ENROLLMENT_CHUNK_SIZE: '3' } })
  let runs = 0
  await fc.assert(fc.asyncProperty(fc.array(lead, { maxLength: 24 }), targeting, cap, targeting, cap, async (leads, tg1, cap1, tg2, cap2) => {
    runs++
    const { id: clientId, headers } = await app.createClient()
    const seeded = leads.map((l, i) => ({ ...l, externalId: `m${String(i).padStart(2, '0')}` }))
    await seedLeads(app, headers, seeded)
    const ids = await leadIdsOf(app, clientId)
    const withIds = seeded.map(l => ({ ...l, key: l.externalId, id: ids.get(l.externalId) ?? '' }))

    const first = model(withIds, tg1, cap1, new Set())
    const body1 = { targeting: tg1, ...(cap1 !== undefined ? { maxLeadsToEnroll: cap1 } : {}) }
    const preview = await app.api.inject({ method: 'POST', url: '/v1/campaigns/preview', headers, payload: { name: 'p', messages: [{ body: 'Hi', delayMinutes: 5 }], ...body1 } })
    deepStrictEqual([preview.json().totalMatching, preview.json().wouldEnroll], [first.total, first.enrolled.length], 'preview')
    deepStrictEqual(preview.json().sample.map((l: { externalId: string }) => l.externalId), model(withIds, tg1, Math.min(10, cap1 ?? Infinity), new Set()).enrolled, 'preview sample: the first 10 in cap order, at most the cap')

    const c1 = (await postCampaign(app, headers, body1)).json()
    deepStrictEqual(c1.enrollment, { totalMatching: first.total, enrolled: first.enrolled.length }, 'first enrollment')
    deepStrictEqual(await enrolledExternalIds(app, c1.id), [...first.enrolled].sort(), 'first enrolled set')
    deepStrictEqual(c1.warning?.reason, first.enrolled.length < first.total ? 'enrollment_cap' : undefined, 'first warning')

    // The second campaign skips the first one's leads: they are active elsewhere.
    const second = model(withIds, tg2, cap2, new Set(first.enrolled))
    const c2 = (await postCampaign(app, headers, { targeting: tg2, ...(cap2 !== undefined ? { maxLeadsToEnroll: cap2 } : {}) })).json()
    deepStrictEqual(c2.enrollment, { totalMatching: second.total, enrolled: second.enrolled.length }, 'second enrollment')
    deepStrictEqual(await enrolledExternalIds(app, c2.id), [...second.enrolled].sort(), 'second enrolled set')
    deepStrictEqual(c2.leadsEnrolled, second.enrolled.length)
  }), { numRuns: 40 })
  t.equal(runs >= 40, true, `${runs} runs`)
})
