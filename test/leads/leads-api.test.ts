import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('bulk import creates, then updates by externalId, keeping absent fields', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const first = await app.api.inject({
    method: 'POST', url: '/v1/leads/bulk', headers,
    payload: { leads: [
      { externalId: 'k-1', firstName: 'Ann', lastName: 'Lee', tags: ['vip', 'kajabi'], engagementLevel: 'high', icpScore: 90, createdAt: '2024-01-02T03:04:05Z' },
      { externalId: 'k-2', firstName: 'Bob' }
    ] }
  })
  t.equal(first.statusCode, 200)
  t.same(first.json(), { created: 2, updated: 0, unchanged: 0 })

  const second = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'k-1', firstName: 'Annie', icpScore: null }] } })
  t.same(second.json(), { created: 0, updated: 1, unchanged: 0 })

  const list = await app.api.inject({ method: 'GET', url: '/v1/leads?tag=vip', headers })
  const [lead] = list.json().data
  t.match(lead, { externalId: 'k-1', firstName: 'Annie', lastName: 'Lee', icpScore: null, engagementLevel: 'high', tags: ['vip', 'kajabi'], createdAt: '2024-01-02T03:04:05.000Z', optedOut: false })
  t.equal(list.json().data.length, 1)

  // The same values again (absent fields keep theirs): nothing written, updatedAt kept.
  const again = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'k-1', firstName: 'Annie', tags: ['vip', 'kajabi'], icpScore: null, createdAt: '2024-01-02T03:04:05+00:00' },
    { externalId: 'k-2', firstName: 'Bob', tags: ['new'] },
    { externalId: 'k-3', firstName: 'Cy' }
  ] } })
  t.same(again.json(), { created: 1, updated: 1, unchanged: 1 })
  const after = await app.api.inject({ method: 'GET', url: `/v1/leads/${lead.id}`, headers })
  t.equal(after.json().updatedAt, lead.updatedAt, 'an unchanged lead keeps its updatedAt')

  // A repeated tag is dropped, first place kept: the same tags as stored, so unchanged.
  const repeated = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [
    { externalId: 'k-1', firstName: 'Annie', tags: ['vip', 'kajabi', 'vip'] }
  ] } })
  t.same(repeated.json(), { created: 0, updated: 0, unchanged: 1 })
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${lead.id}`, headers, payload: { tags: ['b', 'a', 'b', 'a'] } })
  t.same(patched.json().tags, ['b', 'a'])
})

t.test('one invalid item rejects the whole batch and names leads/<index>/<field>', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const response = await app.api.inject({
    method: 'POST', url: '/v1/leads/bulk', headers,
    payload: { leads: [{ externalId: 'ok', firstName: 'Ok' }, { externalId: 'bad', firstName: 'Bad', icpScore: 101 }, { externalId: 'x' }] }
  })
  t.equal(response.statusCode, 400)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  const paths = response.json().errors.map((e: { path: string }) => e.path).sort()
  t.same(paths, ['leads/1/icpScore', 'leads/2/firstName'])
  const list = await app.api.inject({ method: 'GET', url: '/v1/leads', headers })
  t.same(list.json().data, [], 'nothing written')

  const duplicate = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A' }, { externalId: 'a', firstName: 'B' }] } })
  t.equal(duplicate.statusCode, 400)
  t.same(duplicate.json().errors, [{ path: 'leads/1/externalId', message: 'duplicates leads/0/externalId' }])

  const wrongType = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'a', firstName: 'A', icpScore: '50' }] } })
  t.equal(wrongType.statusCode, 400, 'strings are not coerced to numbers in bodies')
})

t.test('pagination walks every lead once, in order', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const leads = Array.from({ length: 7 }, (_, i) => ({ externalId: `p-${i}`, firstName: `P${i}`, createdAt: new Date(Date.UTC(2024, 0, 1 + (i % 3))).toISOString() }))
  await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads } })
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const url: string = `/v1/leads?limit=3${cursor !== null ? `&cursor=${cursor}` : ''}`
    const response = await app.api.inject({ method: 'GET', url, headers })
    t.equal(response.statusCode, 200)
    const body = response.json<{ data: Array<{ externalId: string }>, nextCursor: string | null }>()
    seen.push(...body.data.map(l => l.externalId))
    cursor = body.nextCursor
  } while (cursor !== null)
  t.equal(seen.length, 7)
  t.equal(new Set(seen).size, 7)
})

t.test('get and patch are scoped to the caller: another client sees 404', async t => {
  const app = await buildTestApp(t)
  const alice = await app.createClient('Alice')
  const bob = await app.createClient('Bob')
  await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: alice.headers, payload: { leads: [{ externalId: 'a', firstName: 'A' }] } })
  const id = (await app.api.inject({ method: 'GET', url: '/v1/leads', headers: alice.headers })).json().data[0].id
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/leads/${id}`, headers: alice.headers })).statusCode, 200)
  t.equal((await app.api.inject({ method: 'GET', url: `/v1/leads/${id}`, headers: bob.headers })).statusCode, 404)
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers: bob.headers, payload: { optedOut: true } })).statusCode, 404)
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers: alice.headers, payload: { tags: ['x'], optedOut: true } })
  t.match(patched.json(), { tags: ['x'], optedOut: true })
  t.equal((await app.api.inject({ method: 'PATCH', url: `/v1/leads/${id}`, headers: alice.headers, payload: {} })).statusCode, 400)
})

t.test('bulk import honours Idempotency-Key', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  const payload = { leads: [{ externalId: 'i-1', firstName: 'I' }] }
  const h = { ...headers, 'idempotency-key': 'import-1' }
  const [a, b] = await Promise.all([
    app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: h, payload }),
    app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: h, payload })
  ])
  const statuses = [a.statusCode, b.statusCode].sort()
  t.ok(statuses[0] === 200 && (statuses[1] === 200 || statuses[1] === 409), `concurrent copies: ${statuses.join(',')}`)
  const replay = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: h, payload })
  t.equal(replay.statusCode, 200)
  t.same(replay.json(), { created: 1, updated: 0, unchanged: 0 }, 'the first response, not a second import')
  t.equal(replay.headers['idempotent-replayed'], 'true')
  const other = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers: h, payload: { leads: [{ externalId: 'i-2', firstName: 'J' }] } })
  t.equal(other.statusCode, 422)
})

t.test('tags too large to index are a 400 naming the lead; the most allowed is stored', async t => {
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  // Random text does not compress: 30 tags of 100 characters once gave a 500 from the index.
  const randomTag = (length: number): string => Array.from({ length }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')
  const tooMany = Array.from({ length: 30 }, () => randomTag(100))
  const refused = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'ok', firstName: 'A' }, { externalId: 'big', firstName: 'B', tags: tooMany }] } })
  t.equal(refused.statusCode, 400, refused.body)
  t.match(refused.json().errors, [{ path: 'leads/1/tags', message: /at most 1200 bytes/ }])
  // At the limit: 100 tags of 12 random characters, and 4-byte characters counted as 4.
  const atLimit = Array.from({ length: 100 }, () => randomTag(12))
  const emoji = Array.from({ length: 25 }, (_, i) => '😀'.repeat(11) + String.fromCharCode(97 + (i % 26)).repeat(4))
  const stored = await app.api.inject({ method: 'POST', url: '/v1/leads/bulk', headers, payload: { leads: [{ externalId: 'max', firstName: 'M', tags: atLimit }, { externalId: 'emoji', firstName: 'E', tags: emoji }] } })
  t.equal(stored.statusCode, 200, stored.body)
  const [lead] = (await app.api.inject({ method: 'GET', url: '/v1/leads?limit=1', headers })).json().data
  const patched = await app.api.inject({ method: 'PATCH', url: `/v1/leads/${lead.id}`, headers, payload: { tags: tooMany } })
  t.equal(patched.statusCode, 400)
  t.match(patched.json().errors, [{ path: 'tags' }])
})
