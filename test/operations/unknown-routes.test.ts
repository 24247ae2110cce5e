import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

// A path no route serves answers 404 whatever the request carries (a body, a broken body, another
// media type), on both listeners; a known path with another method answers 405.

t.test('unknown routes answer 404 even with a body, on both ports', async t => {
  const app = await buildTestApp(t)
  for (const [name, listener] of [['public', app.api], ['internal', app.internal]] as const) {
    const cases = [
      { payload: JSON.stringify({ name: 'x' }), type: 'application/json', what: 'a JSON body' },
      { payload: '{"broken', type: 'application/json', what: 'malformed JSON' },
      { payload: 'hello', type: 'text/plain', what: 'another media type' }
    ]
    for (const { payload, type, what } of cases) {
      const response = await listener.inject({ method: 'POST', url: '/v1/nothing-here', headers: { 'content-type': type }, payload })
      t.equal(response.statusCode, 404, `${name}, ${what}: ${response.body}`)
      t.match(response.headers['content-type'], /application\/problem\+json/)
    }
  }
  const wrongMethod = await app.api.inject({ method: 'PUT', url: '/v1/campaigns', headers: { 'content-type': 'application/json' }, payload: { name: 'x' } })
  t.equal(wrongMethod.statusCode, 405, 'a known path with another method')
  t.match(wrongMethod.headers.allow, /POST/)
})
