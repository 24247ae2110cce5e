import t from 'tap'
import methodNotAllowed from '../../src/plugins/method-not-allowed.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('a path served with other methods is 405 with Allow; a path nobody serves is 404', async t => {
  const app = pluginApp(t)
  await app.register(methodNotAllowed)
  app.get('/things', async () => [])
  app.post('/things', async () => ({}))
  app.post('/things/bulk', async () => ({}))
  app.get('/things/:id', async () => ({}))
  app.patch('/things/:id', async () => ({}))
  app.get('/files/*', async () => ({}))

  for (const [method, url, allow] of [
    ['PUT', '/things', 'GET, HEAD, POST'],
    ['DELETE', '/things/7?x=1', 'GET, HEAD, PATCH'],
    ['PUT', '/things/bulk', 'POST'],
    ['DELETE', '/files/a/b.txt', 'GET, HEAD']
  ] as const) {
    const answer = await app.inject({ method, url })
    t.equal(answer.statusCode, 405, `${method} ${url}`)
    t.equal(answer.headers.allow, allow, 'a fixed path is not a value of the :id route beside it')
    t.match(answer.headers['content-type'], /^application\/problem\+json/)
    t.match(answer.json(), { status: 405, title: 'Method Not Allowed', detail: `${method} is not allowed on ${url.split('?')[0] ?? ''}; use ${allow}` })
  }
  const missing = await app.inject({ method: 'GET', url: '/nothing/here' })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { status: 404, detail: /GET \/nothing\/here/ })

  t.equal(app.wrongMethodOnFixedPath({ method: 'GET', url: '/things/bulk' } as never)?.headers.allow, 'POST', 'GET on a fixed POST path')
  t.equal(app.wrongMethodOnFixedPath({ method: 'GET', url: '/things/7' } as never), undefined, 'a parameter value is no fixed path')
  t.equal(app.wrongMethodOnFixedPath({ method: 'POST', url: '/things/bulk' } as never), undefined, 'the method it serves')
})
