import Type from 'typebox'
import t from 'tap'
import { HttpProblem } from '../../src/http/problem.js'
import methodNotAllowed from '../../src/plugins/method-not-allowed.js'
import problemErrors from '../../src/plugins/problem-errors.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('every error is problem+json; 5xx bodies carry no internals; 404/405 win over a refused body', async t => {
  const app = pluginApp(t, { problems: false })
  await app.register(methodNotAllowed)
  await app.register(problemErrors)
  app.get('/bug', async () => { throw new Error('select secret from internals') })
  app.get('/gone', async () => { throw new HttpProblem(409, 'Conflict', 'it changed', { headers: { 'retry-after': '3' } }) })
  app.get('/away', async () => { throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }) })
  app.post('/items', { schema: { body: Type.Object({ name: Type.String() }) } }, async () => ({}))
  app.post('/items/bulk', async () => ({}))
  app.get('/items/:id', { schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9]+$' }) }) } }, async () => ({}))

  const bug = await app.inject({ method: 'GET', url: '/bug' })
  t.equal(bug.statusCode, 500)
  t.match(bug.headers['content-type'], /^application\/problem\+json/)
  t.notMatch(bug.body, /secret|internals/, 'no internals')
  const gone = await app.inject({ method: 'GET', url: '/gone' })
  t.match(gone, { statusCode: 409, headers: { 'retry-after': '3' } })
  t.match(gone.json(), { title: 'Conflict', detail: 'it changed' })
  const away = await app.inject({ method: 'GET', url: '/away' })
  t.match(away, { statusCode: 503, headers: { 'retry-after': '5' } })
  t.match(away.json(), { type: /database-unavailable$/ })
  t.notMatch(away.body, /10\.0\.0\.1/)

  const invalid = await app.inject({ method: 'POST', url: '/items', payload: {} })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json(), { type: /validation-error$/, errors: [{ path: 'name' }] })
  t.equal((await app.inject({ method: 'GET', url: '/items/x1' })).statusCode, 400, 'a bad id is still a 400')
  const bulkGet = await app.inject({ method: 'GET', url: '/items/bulk' })
  t.equal(bulkGet.statusCode, 405, 'GET on a fixed POST path that the :id route also matches')
  t.equal(bulkGet.headers.allow, 'POST')

  for (const [payload, type] of [['{"broken', 'application/json'], ['hello', 'text/plain'], ['x'.repeat(2 * 1024 * 1024), 'application/json']] as const) {
    const answer = await app.inject({ method: 'POST', url: '/nothing-here', headers: { 'content-type': type }, payload })
    t.equal(answer.statusCode, 404, `${type} ${payload.slice(0, 10)}: the missing route is the answer`)
    t.match(answer.headers['content-type'], /^application\/problem\+json/)
  }
  const wrongMethod = await app.inject({ method: 'PUT', url: '/items', headers: { 'content-type': 'application/json' }, payload: '{"broken' })
  t.equal(wrongMethod.statusCode, 405)
  t.equal(wrongMethod.headers.allow, 'POST')
})
