import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { postCampaign } from '../helpers/campaigns.js'

// The API speaks RFC 3339, years 0001..9999; PostgreSQL rounds to microseconds on the way in.

t.test('a timestamp that rounds past year 9999 is refused with 400 naming the field', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  for (const startAt of ['9999-12-31T23:59:59.9999995Z', '9999-12-31T23:59:59.9999999Z', '9999-12-31T22:59:59.99999951-01:00']) {
    const refused = await postCampaign(app, headers, { name: 'Late', startAt })
    t.equal(refused.statusCode, 400, startAt)
    t.match(refused.json(), { errors: [{ path: 'startAt' }] })
  }
  const lead = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'x', firstName: 'F', createdAt: '9999-12-31T23:59:59.99999999Z' }] } })
  t.equal(lead.statusCode, 400)
  t.match(lead.body, /createdAt/)
  const latest = await postCampaign(app, headers, { name: 'Latest', startAt: '9999-12-31T23:59:59.9999994Z' })
  t.equal(latest.statusCode, 201, 'the last microsecond is fine')
  t.equal(latest.json().startAt, '9999-12-31T23:59:59.999Z')
})

t.test('a stored timestamp outside the API range never makes a list fail', async t => {
  const app = await buildTestApp(t)
  const { id: clientId, headers } = await app.createClient()
  await app.ctx.pool.query(`
    insert into campaigns (client_id, name, status, targeting, messages, total_delay_minutes, start_at)
    values ($1, 'Far', 'scheduled', '{}', '[{"body":"Hi","delayMinutes":0}]', 0, '10000-01-01T00:00:00Z'),
           ($1, 'Forever', 'scheduled', '{}', '[{"body":"Hi","delayMinutes":0}]', 0, 'infinity')`, [clientId])
  await app.ctx.pool.query("insert into leads (client_id, external_id, first_name, created_at) values ($1, 'old', 'F', '10000-01-01T00:00:00Z')", [clientId])
  const campaigns = await app.api.inject({ method: 'GET', url: '/v1/campaigns', headers })
  t.equal(campaigns.statusCode, 200, campaigns.body)
  t.same(campaigns.json().data.map((c: { startAt: string }) => c.startAt), ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'])
  const leads = await app.api.inject({ method: 'GET', url: '/v1/leads', headers })
  t.equal(leads.statusCode, 200, leads.body)
  t.equal(leads.json().data[0].createdAt, '9999-12-31T23:59:59.999Z', 'RFC 3339, not +010000-…')
})
