import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import t from 'tap'
import { ADMIN_KEY } from '../helpers/app.js'
import { lateDatabase } from '../helpers/late-database.js'
import { freshDatabase } from '../helpers/postgres.js'

// The real process: config errors, both listeners, log redaction, graceful SIGTERM.

function startServer (env: Record<string, string>): { child: ChildProcess, output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  return { child, output: () => output }
}

async function waitFor (predicate: () => boolean, what: string, everyMs = 100): Promise<void> {
  for (let i = 0; i < 30_000 / everyMs; i++) {
    if (predicate()) return
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function call (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, res => {
      let data = ''
      res.on('data', (chunk: Buffer) => { data += chunk.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: data }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('an invalid variable stops the start with one line naming it', async t => {
  const { child, output } = startServer({ PORT: 'abc' })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.equal(output().trim(), 'Invalid configuration: PORT="abc" must be an integer >= 0 and <= 65535')
})

t.test('serves both listeners, redacts credentials, and drains on SIGTERM with exit 0', async t => {
  const databaseUrl = await freshDatabase(t)
  const { child, output } = startServer({ DATABASE_URL: databaseUrl, PORT: '0', INTERNAL_PORT: '0', HOST: '127.0.0.1', ADMIN_API_KEY: ADMIN_KEY, WORKER_ENABLED: 'false' })
  t.teardown(() => { child.kill('SIGKILL') })
  await waitFor(() => (output().match(/Server listening at http:\/\/127\.0\.0\.1:\d+/g) ?? []).length >= 2, 'two listeners')
  const ports = [...output().matchAll(/"listener":"(public|internal)".*?Server listening at http:\/\/127\.0\.0\.1:(\d+)/g)].map(m => [m[1], Number(m[2])] as const)
  const publicPort = ports.find(([name]) => name === 'public')?.[1] ?? 0
  const internalPort = ports.find(([name]) => name === 'internal')?.[1] ?? 0
  t.ok(publicPort > 0 && internalPort > 0, `ports ${publicPort} ${internalPort}`)
  t.equal((await call(publicPort, 'GET', '/readyz')).status, 200)
  t.equal((await call(internalPort, 'GET', '/metrics')).status, 200)
  t.equal((await call(publicPort, 'GET', '/metrics')).status, 404)
  t.equal((await call(internalPort, 'GET', '/readyz')).status, 404)
  const created = await call(publicPort, 'POST', '/v1/admin/clients', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, '{"name":"Acme"}')
  t.equal(created.status, 201)
  const apiKey = JSON.parse(created.body).apiKey as string
  await call(publicPort, 'GET', '/v1/leads', { authorization: `Bearer ${apiKey}` })
  t.notOk(output().includes(ADMIN_KEY), 'the admin key is never logged')
  t.notOk(output().includes(apiKey), 'a client key is never logged')

  // A request in flight when SIGTERM arrives still gets its answer.
  const inFlight = call(publicPort, 'POST', '/v1/leads/bulk', { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    JSON.stringify({ leads: Array.from({ length: 5000 }, (_, i) => ({ externalId: `e${i}`, firstName: 'F' })) }))
  // Signal as soon as the server has logged the request's arrival (storing 5,000 leads takes far
  // longer than the signal takes to arrive), not after a guessed sleep.
  const lines = (): Array<{ msg?: string, reqId?: string, req?: { url?: string } }> =>
    output().split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line))
  await waitFor(() => lines().some(l => l.msg === 'incoming request' && l.req?.url === '/v1/leads/bulk'), 'the bulk request to arrive', 5)
  child.kill('SIGTERM')
  const [answer, [code]] = await Promise.all([inFlight, once(child, 'exit')])
  t.equal(answer.status, 200, 'the in-flight request finished')
  t.equal(code, 0, 'exit 0')
  const log = lines()
  const bulk = log.find(l => l.msg === 'incoming request' && l.req?.url === '/v1/leads/bulk')?.reqId
  const signalled = log.findIndex(l => l.msg?.startsWith('shutting down') === true)
  const completed = log.findIndex(l => l.msg === 'request completed' && l.reqId === bulk)
  t.ok(signalled >= 0 && completed > signalled, 'the request completed after the signal: it was in flight')
  t.match(output(), /shutdown complete/)
})

t.test('a database not up yet is waited for, then the server starts', async t => {
  const database = await lateDatabase(t)
  const { child, output } = startServer({ DATABASE_URL: database.url, PORT: '0', INTERNAL_PORT: '0', HOST: '127.0.0.1', WORKER_ENABLED: 'false' })
  t.teardown(() => { child.kill('SIGKILL') })
  await waitFor(() => output().includes('waiting for the database'), 'the wait to be announced')
  t.match(output(), /waiting for the database: .*ECONNREFUSED/)
  // Then the database appears (a proxy to the real server on the port it was told).
  await database.comeUp()
  await waitFor(() => (output().match(/Server listening at/g) ?? []).length >= 2, 'the listeners')
  t.equal(child.exitCode, null, 'still running')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})
