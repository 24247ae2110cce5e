import { spawn } from 'node:child_process'
import t from 'tap'
import { REDIS_URL } from '../helpers/app.js'
import { freshDatabase } from '../helpers/postgres.js'
import { descendants, isRunning } from '../helpers/processes.js'
import { waitUntil } from '../helpers/service-process.js'

// `npm run worker` as a process manager drives it: SIGTERM goes to npm's pid only, and the
// worker (tsx and its node) must receive it, finish, and leave nothing running.

t.test('SIGTERM to `npm run worker` stops the worker', async t => {
  const databaseUrl = await freshDatabase(t)
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl, REDIS_URL, INTERNAL_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', npm_config_update_notifier: 'false' }
  const npm = spawn('npm', ['run', 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  npm.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  npm.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>(resolve => npm.on('exit', code => { resolve(code) }))
  const tree = new Set<number>()
  t.teardown(() => { for (const pid of tree) if (isRunning(pid)) process.kill(pid, 'SIGKILL') })
  await waitUntil(() => /Server listening at/.test(output) || npm.exitCode !== null, 'the worker to listen', 120_000)
  for (const pid of descendants(npm.pid ?? 0)) tree.add(pid)
  t.ok(tree.size > 0, 'the worker runs under npm')

  npm.kill('SIGTERM')
  t.equal(await exited, 0, 'npm exits 0 once the worker has')
  await waitUntil(() => [...tree].every(pid => !isRunning(pid)), 'every process under npm to end', 15_000)
  t.match(output, /shutdown complete/, 'the worker shut down in order')
})
