import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { commandLine, descendants, isRunning, portIsFree } from '../helpers/processes.js'
import { waitUntil } from '../helpers/service-process.js'

// `npm start` as a process manager drives it: SIGTERM goes to npm's pid only. The server and
// its embedded PostgreSQL must stop with it and free their ports; a server killed outright
// (SIGKILL) leaves its postmaster running, and the next `npm start` must cope with it.

const ROOT = process.cwd()
const START = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start

/** A folder shaped like a built checkout whose dist/src/server.js runs src/server.ts through tsx, so npm runs the real start script without a build. */
function checkout (dir: string): void {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'npm-start-check', private: true, type: 'module', scripts: { start: START } }))
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  mkdirSync(path.join(dir, 'dist', 'src'), { recursive: true })
  writeFileSync(path.join(dir, 'dist', 'src', 'server.js'), `import { register } from 'tsx/esm/api'\nregister()\nawait import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src', 'server.ts')).href)})\n`)
}

interface NpmStart { npm: ChildProcess, exited: Promise<number | null>, output: () => string, ports: { public: number, internal: number } }

const seen = new Set<number>()

async function npmStart (dir: string): Promise<NpmStart> {
  // Zero configuration: no DATABASE_URL, no EMBEDDED_DATA_DIR (./.data in the folder).
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: '0', INTERNAL_PORT: '0', HOST: '127.0.0.1', npm_config_update_notifier: 'false' }
  const npm = spawn('npm', ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  npm.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  npm.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>(resolve => npm.on('exit', code => { resolve(code) }))
  const port = (listener: string): number => Number(new RegExp(`"listener":"${listener}".*?Server listening at http://127\\.0\\.0\\.1:(\\d+)`).exec(output)?.[1] ?? 0)
  await waitUntil(() => port('public') > 0 || npm.exitCode !== null, 'the server to listen', 120_000)
  if (npm.exitCode !== null) throw new Error(`npm start ended early:\n${output}`)
  for (const pid of descendants(npm.pid ?? 0)) seen.add(pid)
  return { npm, exited, output: () => output, ports: { public: port('public'), internal: port('internal') } }
}

const postmasterPid = (dir: string): number => Number(readFileSync(path.join(dir, '.data', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0])

t.teardown(() => {
  // Only what this test started, should an assertion have failed with something left running.
  for (const pid of seen) if (isRunning(pid)) process.kill(pid, commandLine(pid).includes('postgres') ? 'SIGINT' : 'SIGKILL')
})

t.test('SIGTERM to npm stops the server and its embedded PostgreSQL; after a SIGKILL the next start copes', async t => {
  t.match(START, /node dist\/src\/server\.js/, 'the checkout below stands in for the start script\'s entry')
  const dir = t.testdir()
  checkout(dir)

  // A crash: the server is killed outright, its postmaster lives on, holding the port and the data.
  const first = await npmStart(dir)
  const crashedPostmaster = postmasterPid(dir)
  seen.add(crashedPostmaster)
  const server = descendants(first.npm.pid ?? 0).find(pid => commandLine(pid).includes('dist/src/server.js') && commandLine(pid).startsWith('node'))
  t.ok(server, 'the server process runs under npm')
  process.kill(server ?? 0, 'SIGKILL')
  await first.exited
  t.ok(isRunning(crashedPostmaster), 'the killed server left its embedded PostgreSQL running')

  const second = await npmStart(dir)
  const readyz = await fetch(`http://127.0.0.1:${second.ports.public}/readyz`)
  t.equal(readyz.status, 200, 'the next npm start serves, on the same data')
  const tree = [crashedPostmaster, postmasterPid(dir), ...descendants(second.npm.pid ?? 0)]
  const databasePort = Number(readFileSync(path.join(dir, '.data', 'port'), 'utf8'))

  // What a process manager sends: SIGTERM to npm's pid, nothing else.
  second.npm.kill('SIGTERM')
  t.equal(await second.exited, 0, 'npm exits 0 once the server has shut down')
  t.match(second.output(), /shutdown complete/, 'the server received the signal and shut down gracefully')
  await waitUntil(() => tree.every(pid => !isRunning(pid)), 'every process of the tree to end', 30_000).catch(() => {})
  t.same(tree.filter(isRunning).map(commandLine), [], 'no server, no postmaster left (neither this run\'s nor the crashed run\'s)')
  t.notOk(existsSync(path.join(dir, '.data', 'pg', 'postmaster.pid')), 'the embedded cluster stopped cleanly')
  for (const port of [second.ports.public, second.ports.internal, databasePort]) t.ok(await portIsFree(port), `port ${port} is free`)
})
