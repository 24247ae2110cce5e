import t from 'tap'
import jsonBody from '../../src/plugins/json-body.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('bodies are strict UTF-8 JSON; an empty one is no body', async t => {
  const app = pluginApp(t)
  await app.register(jsonBody)
  app.post('/echo', async request => ({ body: request.body ?? 'none' }))
  const post = (payload: string | Buffer, type = 'application/json') => app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': type }, payload })

  t.same((await post(Buffer.from('{"name":"Zoë 😀"}'))).json(), { body: { name: 'Zoë 😀' } }, 'UTF-8 kept as it is')
  for (const empty of ['', '  \n']) t.same((await post(empty)).json(), { body: 'none' }, `${JSON.stringify(empty)} is no body`)

  const latin1 = await post(Buffer.concat([Buffer.from('{"name":"Zo'), Buffer.from([0xeb]), Buffer.from('"}')]))
  t.equal(latin1.statusCode, 400, 'not UTF-8: refused, not replaced by U+FFFD')
  t.match(latin1.json(), { type: /malformed-json$/, detail: 'the request body is not valid UTF-8' })

  const malformed = await post('{"name":')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { type: /malformed-json$/, detail: 'the request body is not valid JSON' })

  for (const poisoned of ['{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}']) {
    const answer = await post(poisoned)
    t.equal(answer.statusCode, 400, poisoned)
    t.match(answer.json(), { type: /forbidden-json-key$/, detail: /forbidden key/ }, 'said so, not called malformed')
  }

  const plain = await post('{"name":"x"}', 'text/plain')
  t.equal(plain.statusCode, 415, 'text/plain is not taken')
  t.match(plain.json(), { detail: 'send the body as application/json' })
})
