import fc from 'fast-check'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { leadIdsOf } from '../helpers/campaigns.js'
import { claim, makeDue, report, tick } from '../helpers/deliveries.js'
import { seedLeads } from '../helpers/seed.js'

// Claims, results, lease expiries, opt-outs, cancels and ticks in random order, against what a
// sender may rely on: no message handed out while its lease holds or once it was sent, nothing
// for a lead once its opt-out committed or a campaign once its cancel did, and in the end every
// enrollment ends.

type Command =
  | { kind: 'claim', limit: number }
  | { kind: 'result', pick: number, outcome: 'sent' | 'failed', retryable: boolean }
  | { kind: 'expire' } | { kind: 'due' } | { kind: 'tick' }
  | { kind: 'optOut', lead: number } | { kind: 'cancel', campaign: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('claim' as const), limit: fc.integer({ min: 1, max: 4 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('result' as const), pick: fc.nat(), outcome: fc.constantFrom('sent' as const, 'failed' as const), retryable: fc.boolean() }), weight: 5 },
  { arbitrary: fc.constant({ kind: 'expire' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'due' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('optOut' as const), lead: fc.nat({ max: 5 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), campaign: fc.nat({ max: 1 }) }), weight: 1 }
)

t.test('random claims, results, opt-outs and cancels keep the sender\'s guarantees', async t => {
  const app = await buildTestApp(t)
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 30 }), async commands => {
    const { id: clientId, headers } = await app.createClient()
    await seedLeads(app, headers, Array.from({ length: 6 }, (_, i) => ({ externalId: `l${i}`, tags: [i < 3 ? 'a' : 'b'], phone: `+1555200000${i}` }) as never))
    const leadIds = await leadIdsOf(app, clientId)
    const campaigns: string[] = []
    for (const tag of ['a', 'b']) {
      const created = await app.api.inject({ method: 'POST', url: '/v1/campaigns', headers, payload: { name: tag, targeting: { tags: [tag] }, messages: [{ body: 'one', delayMinutes: 0 }, { body: 'two', delayMinutes: 5 }] } })
      campaigns.push(created.json().id)
    }
    const held = new Map<string, { key: string, leaseLive: boolean }>() // delivery id → what we hold
    const sentKeys = new Set<string>()
    const optedOut = new Set<string>()
    const cancelled = new Set<string>()
    const check = (delivery: { id: string, campaignId: string, leadId: string, step: number }) => {
      const key = `${delivery.campaignId}:${delivery.leadId}:${delivery.step}`
      if (held.get(delivery.id)?.leaseLive === true) throw new Error(`handed out twice under a live lease: ${key}`)
      if (sentKeys.has(key)) throw new Error(`handed out after it was sent: ${key}`)
      if (optedOut.has(delivery.leadId)) throw new Error(`handed out after the lead opted out: ${key}`)
      if (cancelled.has(delivery.campaignId)) throw new Error(`handed out after the campaign was cancelled: ${key}`)
      held.set(delivery.id, { key, leaseLive: true })
    }
    for (const c of commands) {
      if (c.kind === 'claim') {
        for (const d of await claim(app, headers, { limit: c.limit })) check(d)
      } else if (c.kind === 'result' && held.size > 0) {
        const [id, h] = [...held.entries()][c.pick % held.size] as [string, { key: string }]
        const response = await report(app, headers, id, { outcome: c.outcome, retryable: c.retryable })
        if (response.statusCode !== 200 && response.statusCode !== 409) throw new Error(`result answered ${response.statusCode}: ${response.body}`)
        if (response.statusCode === 200 && response.json().status === 'sent') sentKeys.add(h.key)
        if (response.statusCode === 200) held.delete(id)
      } else if (c.kind === 'expire') {
        await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second' where status = 'leased' and client_id = $1`, [clientId])
        for (const h of held.values()) h.leaseLive = false
      } else if (c.kind === 'due') {
        await makeDue(app)
      } else if (c.kind === 'tick') {
        await tick(app)
      } else if (c.kind === 'optOut') {
        const lead = leadIds.get(`l${c.lead}`) ?? ''
        await app.api.inject({ method: 'PATCH', url: `/v1/leads/${lead}`, headers, payload: { optedOut: true } })
        optedOut.add(lead)
      } else if (c.kind === 'cancel') {
        const id = campaigns[c.campaign] ?? ''
        await app.api.inject({ method: 'POST', url: `/v1/campaigns/${id}/cancel`, headers })
        cancelled.add(id)
      }
    }
    // A sender that reports every message sent, from here on: every enrollment ends.
    for (let round = 0; round < 10; round++) {
      await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second' where status = 'leased' and client_id = $1`, [clientId])
      for (const h of held.values()) h.leaseLive = false
      await makeDue(app)
      const batch = await claim(app, headers, { limit: 500 })
      for (const d of batch) check(d)
      for (const d of batch) {
        const response = await report(app, headers, d.id, { outcome: 'sent' })
        if (response.statusCode !== 200) throw new Error(`result answered ${response.statusCode}: ${response.body}`)
        sentKeys.add(held.get(d.id)?.key ?? '')
        held.delete(d.id)
      }
    }
    const { rows } = await app.ctx.pool.query(`select count(*)::int as n from enrollments where client_id = $1 and status = 'active'`, [clientId])
    if (rows[0].n !== 0) throw new Error(`${rows[0].n} enrollments never ended`)
    const { rows: doubles } = await app.ctx.pool.query(`select campaign_id, lead_id, step from deliveries where client_id = $1 group by 1, 2, 3 having count(*) > 1`, [clientId])
    if (doubles.length > 0) throw new Error('two deliveries of one message')
  }), { numRuns: 25, verbose: 1 })
  t.pass('held for every run')
})
