// The README's API tour as a typed client. The types come from openapi.yaml (campaign-service.d.ts,
// `npm run openapi:client`), so a path, parameter or field the document lacks fails to compile here.
// Run it: npx tsx examples/typescript-client/tour.ts (see README.md beside this file).
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import createClient from 'openapi-fetch'
import type { components, paths } from './campaign-service.js'

type Schemas = components['schemas']

/** What the tour saw, answer by answer. */
export interface TourResult {
  imported: Schemas['LeadImportResult']
  preview: Schemas['Preview']
  campaign: Schemas['CreatedCampaign']
  enrollments: Schemas['Enrollment'][]
  enrollmentPages: number
  claimed: Schemas['Delivery'][]
  sent: Schemas['Delivery']
  batch: Schemas['DeliveryResults']
  stop: Schemas['InboundResult']
  stats: Schemas['CampaignStats']
}

// openapi-fetch answers either `data` (2xx) or `error` (the problem+json body); the tour stops at
// the first problem, saying which call it was.
function ok<Answer extends { data?: unknown, error?: unknown, response: Response }> (what: string, answer: Answer): NonNullable<Answer['data']> {
  const { data, error, response } = answer
  if (!response.ok || data === undefined || data === null) throw new Error(`${what}: ${response.status} ${JSON.stringify(error)}`)
  return data
}

const ANN_PHONE = '+12133734253'

export async function runTour (baseUrl: string, apiKey: string): Promise<TourResult> {
  const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } })
  // Each run has leads, keys and a tag of its own, so the tour can run again on the same client.
  const run = randomUUID().slice(0, 8)
  const tag = `tour-${run}`

  // Upsert by externalId, all or nothing; the Idempotency-Key makes a retry safe.
  const imported = ok('importLeads', await api.POST('/v1/leads/bulk', {
    params: { header: { 'idempotency-key': `import-${run}` } },
    body: {
      leads: [
        { externalId: `${tag}-1`, firstName: 'Ann', lastName: 'Lee', phone: '(213) 373-4253', tags: ['vip', tag], engagementLevel: 'high', icpScore: 92 },
        { externalId: `${tag}-2`, firstName: 'Bob', phone: '+1 415 555 0100', tags: ['vip', tag], icpScore: 40 },
        { externalId: `${tag}-3`, firstName: 'Cy', tags: ['webinar', tag], engagementLevel: 'low' }
      ]
    }
  }))

  // Preview needs only the targeting (name and messages come with the create) and writes nothing.
  const targeting: Schemas['Targeting'] = { tags: ['vip', tag], tagMatch: 'all', icpScore: { min: 30 } }
  const preview = ok('previewCampaign', await api.POST('/v1/campaigns/preview', { body: { targeting } }))

  // No startAt: the matching leads are enrolled before the answer, and message 0 is due at once.
  const campaign = ok('createCampaign', await api.POST('/v1/campaigns', {
    params: { header: { 'idempotency-key': `campaign-${run}` } },
    body: {
      name: `VIP welcome ${run}`,
      targeting,
      messages: [
        { body: 'Hi {{first_name}}, welcome aboard!', delayMinutes: 0 },
        { body: '{{first_name}}, a quick tip for your first week', delayMinutes: 1440 }
      ]
    }
  }))

  // Cursor paging: follow nextCursor until it is null (one item per page, to show the loop).
  const enrollments: Schemas['Enrollment'][] = []
  let enrollmentPages = 0
  let cursor: string | undefined
  do {
    const page = ok('listEnrollments', await api.GET('/v1/campaigns/{id}/enrollments', {
      params: { path: { id: campaign.id }, query: { status: 'active', limit: 1, cursor } }
    }))
    enrollments.push(...page.data)
    enrollmentPages++
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)

  // The sender's side: lease what is due, send it through the SMS provider, report each outcome.
  // A claim hands out the client's due messages of every campaign; the tour reports only its own
  // (others return to the queue when their lease ends).
  const claim = ok('claimDeliveries', await api.POST('/v1/deliveries/claim', { body: { leaseSeconds: 60 } }))
  const claimed = claim.data.filter(delivery => delivery.campaignId === campaign.id)
  const toAnn = claimed.find(delivery => delivery.to === ANN_PHONE)
  if (toAnn === undefined) throw new Error(`claimDeliveries: no message for Ann among ${claimed.length}`)

  const sent = ok('reportDeliveryResult', await api.POST('/v1/deliveries/{id}/result', {
    params: { path: { id: toAnn.id } },
    body: { outcome: 'sent', providerMessageId: `SM-${run}-ann` }
  }))
  // Senders that batch report up to 500 at once; a retryable failure comes back after a backoff.
  const results: Schemas['DeliveryResultItem'][] = claimed.filter(delivery => delivery !== toAnn)
    .map(delivery => ({ id: delivery.id, outcome: 'failed', error: 'carrier busy', retryable: true }))
  const batch = ok('reportDeliveryResults', await api.POST('/v1/deliveries/results', { body: { results } }))

  // Ann answers STOP: the provider's webhook posts it (its message id as the key); she is opted out.
  const stop = ok('receiveInboundMessage', await api.POST('/v1/inbound-messages', {
    params: { header: { 'idempotency-key': `SM-${run}-stop` } },
    body: { from: '(213) 373-4253', body: 'STOP' }
  }))

  const stats = ok('getCampaignStats', await api.GET('/v1/campaigns/{id}/stats', { params: { path: { id: campaign.id } } }))
  return { imported, preview, campaign, enrollments, enrollmentPages, claimed, sent, batch, stop, stats }
}

// For humans: KEY=cs_... npx tsx examples/typescript-client/tour.ts
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const apiKey = process.env.KEY
  if (apiKey === undefined || apiKey === '') {
    process.stderr.write('Set KEY to a client API key (npm run cli -- create-client "Tour" prints one)\n')
    process.exit(1)
  }
  const result = await runTour(process.env.BASE_URL ?? 'http://localhost:3000', apiKey)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
