import { spawn } from 'node:child_process'
import t from 'tap'
import { airtableEnv, airtableStandIn, seedEnrollments, airtableClient } from '../helpers/airtable.js'
import { REDIS_URL, buildTestApp } from '../helpers/app.js'

// `npm run worker` is `tsx src/worker.ts`; the same entry, run as its own process.
function startWorkerProcess (env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  return { child, exited, output: () => output }
}

t.test('npm run worker syncs queued jobs on its own and exits 0 on SIGTERM', async t => {
  const standIn = await airtableStandIn(t)
  const env = airtableEnv(standIn)
  const app = await buildTestApp(t, { env }) // the API instance: WORKER_ENABLED=false
  const client = await airtableClient(app)
  await seedEnrollments(app, client.id, { leads: 15 })
  const worker = startWorkerProcess({ ...env, DATABASE_URL: app.databaseUrl, REDIS_URL, INTERNAL_PORT: '0', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  t.teardown(() => { worker.child.kill('SIGKILL') })
  await standIn.waitFor(() => standIn.records.size === 15, 60_000, 'the worker process to sync')
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'clean exit')
  t.match(worker.output(), /job worker started/)
  t.match(worker.output(), /shutdown complete/)
  t.notMatch(worker.output(), /pat-test-airtable-key/, 'the API key is never logged')
})

t.test('the worker process refuses to start without DATABASE_URL', async t => {
  const worker = startWorkerProcess({ LOG_LEVEL: 'silent' })
  t.equal(await worker.exited, 1)
  t.match(worker.output(), /DATABASE_URL must be set/)
})
