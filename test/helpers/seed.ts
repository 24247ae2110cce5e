import type { TestApp } from './app.js'

export interface SeedLead {
  externalId: string
  firstName?: string
  tags?: string[]
  engagementLevel?: 'high' | 'medium' | 'low' | null
  icpScore?: number | null
  optedOut?: boolean
  createdAt?: string
  airtableRecordId?: string
}

/** Imports leads through the API (in batches of 5000) and returns their ids by externalId. */
export async function seedLeads (app: TestApp, headers: Record<string, string>, leads: SeedLead[]): Promise<Map<string, string>> {
  for (let i = 0; i < leads.length; i += 5000) {
    const batch = leads.slice(i, i + 5000).map(lead => ({ firstName: 'Lead', ...lead }))
    const response = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: batch } })
    if (response.statusCode !== 200) throw new Error(`seeding failed: ${response.body}`)
  }
  const ids = new Map<string, string>()
  const { rows } = await app.ctx.pool.query<{ id: string, external_id: string }>('select id, external_id from leads')
  for (const row of rows) ids.set(row.external_id, row.id)
  return ids
}

export const oneMessage = [{ body: 'Hi {{first_name}}, welcome!', delayMinutes: 0 }, { body: 'Still there, {{first_name}}?', delayMinutes: 1440 }]
