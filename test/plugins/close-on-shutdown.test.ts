import t from 'tap'
import closeOnShutdown from '../../src/plugins/close-on-shutdown.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('answers keep the connection until shutdown begins, then close it', async t => {
  const app = pluginApp(t)
  const shutdown = new AbortController()
  await app.register(closeOnShutdown, { stopping: shutdown.signal })
  app.get('/ok', async () => ({ ok: true }))
  app.get('/fails', async () => { throw new Error('boom') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  t.equal((await fetch(`${base}/ok`)).headers.get('connection'), 'keep-alive')
  shutdown.abort()
  for (const path of ['/ok', '/fails', '/unknown']) {
    t.equal((await fetch(`${base}${path}`)).headers.get('connection'), 'close', path)
  }
})
