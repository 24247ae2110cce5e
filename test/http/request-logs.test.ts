import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { serverOptions } from '../../src/http/server-options.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('a read logs one line with what it was and how it went; a write also logs its arrival', async t => {
  const lines: Array<Record<string, any>> = []
  const sink = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  const app = pluginApp(t, { ...serverOptions, loggerInstance: pino(sink) })
  app.get('/things/:id', async () => ({ ok: true }))
  app.post('/things', async () => ({ ok: true }))
  // As the service's (method-not-allowed): a problem, not Fastify's own `Route ... not found` line.
  app.setNotFoundHandler(async (_request, reply) => await reply.code(404).send({ status: 404 }))
  await app.inject({ method: 'GET', url: '/things/1?x=y', headers: { 'x-request-id': 'read-1' } })
  await app.inject({ method: 'POST', url: '/things', payload: {}, headers: { 'x-request-id': 'write-1' } })
  await app.inject({ method: 'GET', url: '/nothing', headers: { 'x-request-id': 'read-2' } })

  const of = (id: string) => lines.filter(line => line.reqId === id).map(line => line.msg)
  t.same(of('read-1'), ['request completed'], 'one line for a read')
  t.same(of('write-1'), ['incoming request', 'request completed'], 'two for a write')
  t.same(of('read-2'), ['request completed'], 'one for a read of nothing')
  t.match(lines.find(line => line.reqId === 'read-1'), { level: 30, req: { method: 'GET', url: '/things/1?x=y' }, res: { statusCode: 200 }, responseTime: Number })
  t.match(lines.find(line => line.reqId === 'write-1' && line.msg === 'request completed'), { req: { method: 'POST', url: '/things' }, res: { statusCode: 200 } })
  t.match(lines.find(line => line.reqId === 'read-2'), { req: { method: 'GET', url: '/nothing' }, res: { statusCode: 404 } })
})
