import t from 'tap'
import { airtableClient, airtableEnv, airtableStandIn } from '../helpers/airtable.js'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { leadsWithPhones, postInbound } from './helpers.js'

t.test('the Opted Out checkbox follows STOP, START and PATCH, through the sync queue', async t => {
  const standIn = await airtableStandIn(t)
  const app = await buildTestApp(t, { env: airtableEnv(standIn, { WORKER_ENABLED: 'true' }) })
  const { headers } = await airtableClient(app)
  const ids = await leadsWithPhones(app, headers, [{ externalId: 'a', phone: '+12133734253', tags: ['x'] }])
  await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.a}`, headers, payload: { airtableRecordId: 'recOPT' } })
  await createCampaign(app, headers, { name: 'Nurture', targeting: { tags: ['x'] } })
  await standIn.waitFor(() => standIn.records.get('recOPT')?.['Opted Out'] === false, 30_000, 'enrolled, not opted out')

  t.equal((await postInbound(app, headers, { from: '+12133734253', body: 'STOP' })).json().action, 'opted_out')
  await standIn.waitFor(() => standIn.records.get('recOPT')?.['Opted Out'] === true, 30_000, 'STOP mirrored')
  t.match(standIn.records.get('recOPT'), { Campaign: 'Nurture', 'Campaign Status': 'stopped', 'Opted Out': true })

  t.equal((await postInbound(app, headers, { from: '+12133734253', body: 'start' })).json().action, 'opted_in')
  await standIn.waitFor(() => standIn.records.get('recOPT')?.['Opted Out'] === false, 30_000, 'START mirrored (no enrollment changed)')

  await app.api.inject({ method: 'PATCH', url: `/v1/leads/${ids.a}`, headers, payload: { optedOut: true } })
  await standIn.waitFor(() => standIn.records.get('recOPT')?.['Opted Out'] === true, 30_000, 'PATCH opt-out mirrored')
  await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'L', optedOut: false }] } })
  await standIn.waitFor(() => standIn.records.get('recOPT')?.['Opted Out'] === false, 30_000, 'import opt-in mirrored')
})
