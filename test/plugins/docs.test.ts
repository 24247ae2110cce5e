import swagger from '@fastify/swagger'
import t from 'tap'
import docs from '../../src/plugins/docs.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('/openapi.json serves the whole document; /docs shows the public operations only', async t => {
  const app = pluginApp(t)
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1' } } })
  const document = {
    openapi: '3.1.0',
    info: { title: 'whole', version: '1' },
    tags: [{ name: 'leads' }, { name: 'internal' }],
    paths: {
      '/v1/leads': { get: { operationId: 'listLeads', responses: {} } },
      '/internal/tick': { servers: [{ url: 'http://internal' }], post: { operationId: 'tick', responses: {} } }
    }
  }
  let built = 0
  await app.register(docs, { document: () => { built++; return document } })

  const whole = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(whole.statusCode, 200)
  t.same(whole.json(), document)
  const shown = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.same(Object.keys(shown.paths), ['/v1/leads'], 'no internal operation')
  t.same(shown.tags, [{ name: 'leads' }])
  t.same(shown.servers, [{ url: '/', description: 'this server' }], 'called on the server that serves the page')
  t.equal(built, 2, 'built when asked for, after every route is registered')
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, 'the page is served')
  t.same(Object.keys((app.swagger() as { paths?: object }).paths ?? {}), [], '/openapi.json itself is not in the document')
})
