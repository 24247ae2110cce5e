import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { createCampaign } from '../helpers/campaigns.js'
import { documentChecker } from '../helpers/openapi-responses.js'
import { seedLeads } from '../helpers/seed.js'

// A claim's answer is JSON that PostgreSQL writes (deliveryJson), passed through as it is: it must
// say exactly what the service's own serialization says of the same deliveries, and what the
// document says a claim answers.

t.test('a claim answers the deliveries as GET /v1/deliveries shows them, in the documented shape', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  await seedLeads(app, headers, [
    { externalId: 'a', firstName: 'Zoë "Z"', lastName: 'O\'Brien\\', tags: ['x'], phone: '+15553330001' },
    { externalId: 'b', firstName: 'Bo', tags: ['x'], phone: '+15553330002' }
  ] as never)
  await createCampaign(app, headers, { targeting: { tags: ['x'] }, messages: [{ body: 'Hi {{first_name}} {{last_name}}\n🙂 <&>', delayMinutes: 0 }] })
  const response = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers, payload: { limit: 10 } })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'application/json; charset=utf-8')
  const check = documentChecker()
  t.same(check({ method: 'post', path: '/v1/deliveries/claim', status: 200, contentType: String(response.headers['content-type']), body: response.json() }), [], 'the documented schema')

  const claimed = response.json().data as Array<{ id: string }>
  t.equal(claimed.length, 2)
  const listed = (await app.api.inject({ method: 'GET', url: '/v1/deliveries?limit=10', headers })).json().data as Array<{ id: string }>
  const byId = new Map(listed.map(d => [d.id, d]))
  for (const delivery of claimed) {
    t.same(JSON.stringify(delivery), JSON.stringify(byId.get(delivery.id)), 'the same fields, order and text as the service serializes')
  }
  t.match(claimed.map(d => (d as unknown as { body: string }).body).sort(), ['Hi Bo \n🙂 <&>', 'Hi Zoë "Z" O\'Brien\\\n🙂 <&>'])

  // Expired leases handed out again (attempts 2), due times with microseconds: the same text still;
  // an empty answer is documented too.
  await app.ctx.pool.query(`update deliveries set lease_expires_at = now() - interval '1 second', due_at = due_at - interval '123456 microseconds'`)
  const again = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers, payload: {} })
  const relisted = new Map(((await app.api.inject({ method: 'GET', url: '/v1/deliveries?limit=10', headers })).json().data as Array<{ id: string }>).map(d => [d.id, d]))
  t.same(again.json().data.map((d: { id: string }) => JSON.stringify(relisted.get(d.id))), again.json().data.map((d: unknown) => JSON.stringify(d)))
  t.ok(again.json().data.every((d: { attempts: number, dueAt: string }) => d.attempts === 2 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(d.dueAt)))
  const empty = await app.api.inject({ method: 'POST', url: '/v1/deliveries/claim', headers })
  t.equal(empty.body, '{"data":[]}')
  t.same(check({ method: 'post', path: '/v1/deliveries/claim', status: 200, contentType: String(empty.headers['content-type']), body: empty.json() }), [])
})
