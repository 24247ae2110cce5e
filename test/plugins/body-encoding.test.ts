import t from 'tap'
import bodyEncoding from '../../src/plugins/body-encoding.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('a body in another charset or compressed is a 415 before it is parsed; UTF-8 and identity pass', async t => {
  const app = pluginApp(t)
  await app.register(bodyEncoding)
  let handled = 0
  app.post('/echo', async request => { handled++; return { body: request.body } })
  const post = (headers: Record<string, string>, payload: string | Buffer = '{"a":1}') => app.inject({ method: 'POST', url: '/echo', headers, payload })

  for (const charset of ['iso-8859-1', 'utf-16', '"latin1"']) {
    const answer = await post({ 'content-type': `application/json; charset=${charset}` })
    t.equal(answer.statusCode, 415, charset)
    t.match(answer.json(), { status: 415, detail: `charset ${charset.replace(/"/g, '')} is not supported; send UTF-8 JSON` })
  }
  const gzip = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from([0x1f, 0x8b, 0x08, 0x00]))
  t.equal(gzip.statusCode, 415)
  t.match(gzip.json(), { type: /unsupported-content-encoding$/, detail: /Content-Encoding gzip/ })
  t.equal(handled, 0, 'no handler ran')

  const passing: Array<Record<string, string>> = [{ 'content-type': 'application/json; charset=UTF-8' }, { 'content-type': 'application/json; charset=utf8' }, { 'content-type': 'application/json', 'content-encoding': ' Identity ' }, { 'content-type': 'application/json' }]
  for (const headers of passing) {
    const answer = await post(headers)
    t.equal(answer.statusCode, 200, JSON.stringify(headers))
    t.same(answer.json(), { body: { a: 1 } })
  }
})
