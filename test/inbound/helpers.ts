import type { TestApp } from '../helpers/app.js'

export type Headers = Record<string, string>

export async function postInbound (app: TestApp, headers: Headers, payload: Record<string, unknown>, extra: Headers = {}) {
  return await app.api.inject({ method: 'POST', url: '/v1/inbound-messages', headers: { ...headers, ...extra }, payload })
}

/** Imports leads with phones and returns their ids by externalId. */
export async function leadsWithPhones (app: TestApp, headers: Headers, leads: Array<{ externalId: string, phone: string | null, tags?: string[] }>): Promise<Record<string, string>> {
  const response = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: leads.map(lead => ({ firstName: 'L', ...lead })) } })
  if (response.statusCode !== 200) throw new Error(`import failed: ${response.body}`)
  const list = await app.api.inject({ method: 'GET', url: '/v1/leads?limit=200', headers })
  return Object.fromEntries(list.json().data.map((lead: { externalId: string, id: string }) => [lead.externalId, lead.id]))
}

export async function getLead (app: TestApp, headers: Headers, id: string) {
  return (await app.api.inject({ method: 'GET', url: `/v1/leads/${id}`, headers })).json()
}

export async function enrollmentsOf (app: TestApp, headers: Headers, campaignId: string): Promise<Array<{ leadId: string, status: string, stopReason: string | null }>> {
  return (await app.api.inject({ method: 'GET', url: `/v1/campaigns/${campaignId}/enrollments`, headers })).json().data
}
