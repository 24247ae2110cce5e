import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { runCli } from '../helpers/run-cli.js'

// A newcomer's first run: no environment but ports and a data folder. The server starts its
// embedded PostgreSQL, the CLI creates a client on that same cluster while the server runs,
// the key works, SIGTERM stops both cleanly, and a second start finds the data again.

interface Server { child: ChildProcess, output: () => string, port: () => Promise<number> }

function startServer (dataDir: string): Server {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', INTERNAL_PORT: '0', HOST: '127.0.0.1', EMBEDDED_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const port = async (): Promise<number> => {
    for (let i = 0; i < 1200; i++) {
      const match = /"listener":"public".*?Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match !== null) return Number(match[1])
      if (child.exitCode !== null) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    throw new Error(`the server did not come up:\n${output}`)
  }
  return { child, output: () => output, port }
}

async function stop (server: Server): Promise<number | null> {
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'exit') as [number | null]
  return code
}

t.test('zero configuration: embedded PostgreSQL, a first key from the CLI while the server runs, data kept', async t => {
  const dataDir = path.join(t.testdir(), 'data')
  const first = startServer(dataDir)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const port = await first.port()
  t.match(first.output(), /embedded PostgreSQL running on 127\.0\.0\.1:\d+/)
  t.match(first.output(), /REDIS_URL is not set/, 'the in-process limiter is announced')
  t.match(first.output(), /first time here\? create a client/, 'a newcomer is told how to get a key')
  t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200)

  const cli = await runCli(['create-client', 'Newcomer'], { EMBEDDED_DATA_DIR: dataDir })
  t.equal(cli.code, 0, cli.stderr)
  const apiKey = /api key:\s+(\S+)/.exec(cli.stdout)?.[1] ?? ''
  t.match(apiKey, /^cs_/)
  // The server generated SECRETS_KEY beside its data (mode 600); the CLI stores an Airtable key under that same one.
  const keyFile = path.join(dataDir, 'secrets.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'SECRETS_KEY kept beside the data, mode 600')
  const secretsKey = readFileSync(keyFile, 'utf8')
  const airtable = await runCli(['set-airtable', /client id:\s+(\S+)/.exec(cli.stdout)?.[1] ?? '', '--base', 'appZeroConfig0001', '--table', 'Leads'], { EMBEDDED_DATA_DIR: dataDir }, 'pat-zero-config')
  t.equal(airtable.code, 0, airtable.stderr)
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
  const imported = await fetch(`http://127.0.0.1:${port}/v1/leads/bulk`, { method: 'POST', headers, body: JSON.stringify({ leads: [{ externalId: 'first', firstName: 'Ada' }] }) })
  t.same(await imported.json(), { created: 1, updated: 0, unchanged: 0 }, 'the server sees the client the CLI made')

  // A request in flight at SIGTERM still has its database: the cluster stops last.
  const many = JSON.stringify({ leads: Array.from({ length: 5000 }, (_, i) => ({ externalId: `bulk${i}`, firstName: 'F' })) })
  const inFlight = fetch(`http://127.0.0.1:${port}/v1/leads/bulk`, { method: 'POST', headers, body: many })
  const bulkArrivals = (): number => first.output().split('\n').filter(line => line.includes('"url":"/v1/leads/bulk"') && line.includes('"msg":"incoming request"')).length
  for (let i = 0; i < 2000 && bulkArrivals() < 2; i++) await new Promise(resolve => setTimeout(resolve, 5))
  t.equal(await stop(first), 0, 'SIGTERM: exit 0')
  const answer = await inFlight
  t.equal(answer.status, 200, 'the in-flight import finished')
  t.equal(answer.headers.get('connection'), 'close', 'and its keep-alive connection was closed, so shutdown did not wait on it')
  t.same(await answer.json(), { created: 5000, updated: 0, unchanged: 0 })
  t.notMatch(first.output(), /"level":50/, 'nothing logged as an error')
  t.notOk(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'the embedded cluster stopped with the server')

  const second = startServer(dataDir)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const again = await second.port()
  t.notMatch(second.output(), /first time here/, 'no newcomer hint once a client exists')
  t.equal(readFileSync(keyFile, 'utf8'), secretsKey, 'the same SECRETS_KEY after a restart')
  const leads = await fetch(`http://127.0.0.1:${again}/v1/leads`, { headers })
  t.match(await leads.json(), { data: [{ externalId: 'first', firstName: 'Ada' }] }, 'the key and the lead survive a restart')
  t.equal(await stop(second), 0)
})
