import type { AddressInfo } from 'node:net'
import t from 'tap'
import { serverOptions } from '../../src/http/server-options.js'
import { pluginApp } from '../helpers/plugin-app.js'
import { rawRequest } from '../helpers/raw-http.js'

t.test('requests that fail before any route runs are problem+json too', async t => {
  const app = pluginApp(t, { ...serverOptions, problems: false })
  app.get('/things/:id', async request => ({ id: (request.params as { id: string }).id, requestId: request.id }))
  t.match((await app.inject({ method: 'GET', url: '/things/1', headers: { 'x-request-id': 'given-1' } })).json(), { id: '1', requestId: 'given-1' }, 'ids from requestId')

  const long = await app.inject({ method: 'GET', url: `/things/${'x'.repeat(101)}` })
  t.equal(long.statusCode, 414)
  t.match(long.headers['content-type'], /^application\/problem\+json/)
  t.match(long.json(), { status: 414, detail: 'a path segment is longer than 100 characters' })
  const encoding = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' })
  t.equal(encoding.statusCode, 400)
  t.match(encoding.json(), { status: 400, detail: /malformed percent-encoding/ })

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const raw = async (request: string): Promise<string> => await rawRequest(port, request)
  for (const [request, status, detail] of [
    ['GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n', 400, 'the request is not valid HTTP'],
    [`GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'the request headers are too large']
  ] as const) {
    const answer = await raw(request)
    t.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), detail)
    t.match(answer, /content-type: application\/problem\+json/i)
    t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { status, detail })
  }
})
