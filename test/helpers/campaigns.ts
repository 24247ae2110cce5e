import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.js'
import { oneMessage } from './seed.js'

export type Headers = Record<string, string>

/** POST /v1/campaigns with sensible defaults; returns the raw response. */
export async function postCampaign (app: TestApp, headers: Headers, body: Record<string, unknown>, extraHeaders: Headers = {}): Promise<LightMyRequestResponse> {
  return await app.api.inject({
    method: 'POST', url: '/v1/campaigns', headers: { ...headers, ...extraHeaders },
    payload: { name: 'Campaign', messages: oneMessage, ...body }
  })
}

/** Creates a campaign and fails loudly unless the answer is 201. */
export async function createCampaign (app: TestApp, headers: Headers, body: Record<string, unknown>): Promise<any> {
  const response = await postCampaign(app, headers, body)
  if (response.statusCode !== 201) throw new Error(`creating a campaign failed: ${response.statusCode} ${response.body}`)
  return response.json()
}

export async function topUp (app: TestApp, headers: Headers, campaignId: string): Promise<LightMyRequestResponse> {
  return await app.api.inject({ method: 'POST', url: `/v1/campaigns/${campaignId}/enroll`, headers })
}

/** Lead ids of one client by externalId (seedLeads' map mixes clients). */
export async function leadIdsOf (app: TestApp, clientId: string): Promise<Map<string, string>> {
  const { rows } = await app.ctx.pool.query<{ id: string, external_id: string }>('select id, external_id from leads where client_id = $1', [clientId])
  return new Map(rows.map(row => [row.external_id, row.id]))
}

/** The externalIds a campaign enrolled (any status), sorted. */
export async function enrolledExternalIds (app: TestApp, campaignId: string, status?: string): Promise<string[]> {
  const { rows } = await app.ctx.pool.query<{ external_id: string }>(
    `select l.external_id from enrollments e join leads l on l.id = e.lead_id
     where e.campaign_id = $1 and ($2::text is null or e.status = $2) order by l.external_id`, [campaignId, status ?? null])
  return rows.map(row => row.external_id)
}

/** Campaigns whose counter disagrees with their enrollments or exceeds the cap, and leads active twice. */
export async function invariantViolations (app: TestApp): Promise<{ counters: unknown[], doubleActive: unknown[] }> {
  const counters = await app.ctx.pool.query(`
    select c.id, c.leads_enrolled, c.max_leads_to_enroll, (select count(*) from enrollments e where e.campaign_id = c.id)::int as made
    from campaigns c
    where c.leads_enrolled <> (select count(*) from enrollments e where e.campaign_id = c.id)
       or c.leads_enrolled > coalesce(c.max_leads_to_enroll, 2147483647)`)
  const doubleActive = await app.ctx.pool.query(`
    select lead_id, count(*)::int as n from enrollments where status = 'active' group by lead_id having count(*) > 1`)
  return { counters: counters.rows, doubleActive: doubleActive.rows }
}
