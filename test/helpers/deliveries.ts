import type { TestApp } from './app.js'
import { CRON_SECRET } from './app.js'

export type Headers = Record<string, string>

export async function claim (app: TestApp, headers: Headers, body: Record<string, unknown> = {}): Promise<any[]> {
  const response = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers, payload: body })
  if (response.statusCode !== 200) throw new Error(`claim answered ${response.statusCode}: ${response.body}`)
  return response.json().data
}

export async function report (app: TestApp, headers: Headers, id: string, body: Record<string, unknown>) {
  return await app.api.inject({ method: 'POST', url: `/v1/deliveries/${id}/result`, headers, payload: body })
}

export async function tick (app: TestApp): Promise<any> {
  const response = await app.internal.inject({ method: 'POST', url: '/internal/campaigns/activate-scheduled', headers: { authorization: `Bearer ${CRON_SECRET}` } })
  if (response.statusCode !== 200) throw new Error(`tick answered ${response.statusCode}: ${response.body}`)
  return response.json()
}

/** Moves every waiting message and retry into the past, as if that much time had gone by. */
export async function makeDue (app: TestApp): Promise<void> {
  await app.ctx.pool.query(`update enrollments set next_due_at = now() - interval '1 second' where next_due_at > now()`)
  await app.ctx.pool.query(`update deliveries set due_at = now() - interval '1 second' where status = 'pending' and due_at > now()`)
}

export async function enrollmentOf (app: TestApp, headers: Headers, campaignId: string, leadId: string): Promise<any> {
  const response = await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaignId}/enrollments?limit=200`, headers })
  return response.json().data.find((e: { leadId: string }) => e.leadId === leadId)
}
