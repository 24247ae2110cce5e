import t from 'tap'
import requestIdHeader, { requestId } from '../../src/plugins/request-id.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('every answer carries its request id: a plain given one is kept, anything else replaced', async t => {
  const app = pluginApp(t, { genReqId: requestId })
  await app.register(requestIdHeader)
  app.get('/ok', async () => ({ ok: true }))
  app.get('/fails', async () => { throw new Error('boom') })
  const generated = await app.inject({ method: 'GET', url: '/ok' })
  t.match(generated.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  t.equal((await app.inject({ method: 'GET', url: '/ok', headers: { 'x-request-id': 'trace-1.2:3_x' } })).headers['x-request-id'], 'trace-1.2:3_x')
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
    const answer = await app.inject({ method: 'GET', url: '/ok', headers: { 'x-request-id': bad } })
    t.not(answer.headers['x-request-id'], bad, `${JSON.stringify(bad.slice(0, 20))} is replaced`)
    t.match(answer.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  }
  t.equal((await app.inject({ method: 'GET', url: '/fails', headers: { 'x-request-id': 'err-1' } })).headers['x-request-id'], 'err-1', 'errors too')
  t.equal((await app.inject({ method: 'GET', url: '/nothing', headers: { 'x-request-id': 'nf-1' } })).headers['x-request-id'], 'nf-1', 'and unknown paths')
})
