import t from 'tap'
import responseHeaders from '../../src/plugins/response-headers.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('nosniff on every answer; no-store under the private prefix only, errors included', async t => {
  const app = pluginApp(t)
  await app.register(responseHeaders, { noStorePrefix: '/v1/' })
  app.get('/v1/things', async () => ({ ok: true }))
  app.get('/v1/broken', async () => { throw new Error('boom') })
  app.get('/healthz', async () => ({ ok: true }))
  for (const url of ['/v1/things', '/v1/broken', '/v1/unknown']) {
    const answer = await app.inject({ method: 'GET', url })
    t.equal(answer.headers['x-content-type-options'], 'nosniff', url)
    t.equal(answer.headers['cache-control'], 'no-store', url)
  }
  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.headers['x-content-type-options'], 'nosniff')
  t.equal(health.headers['cache-control'], undefined, 'outside the prefix a cache may keep it')
  t.equal((await app.inject({ method: 'GET', url: '/v1' })).headers['cache-control'], undefined, 'the prefix is a path prefix')
})
