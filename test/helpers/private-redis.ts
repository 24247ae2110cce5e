import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'

// A redis-server of a test's own on a free loopback port, which the test may freeze or kill
// without touching the machine's Redis.

export interface PrivateRedis {
  url: string
  /** SIGKILL: the connection drops at once. Resolves when the process is gone. */
  kill: () => Promise<void>
  /** SIGSTOP: the connection stays open and nothing answers. */
  freeze: () => void
}

/** A loopback port nothing listens on right now (another process may still take it). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise(resolve => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function startOnce (port: number): Promise<ChildProcess | undefined> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], { stdio: ['ignore', 'pipe', 'pipe'] })
  return await new Promise(resolve => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve(child)
    })
    child.once('exit', () => { resolve(undefined) })
  })
}

export async function startPrivateRedis (t: { teardown: (fn: () => Promise<void>) => void }): Promise<PrivateRedis> {
  // Another process may take the free port before redis-server binds it: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = await startOnce(port)
    if (child === undefined) continue
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    const kill = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
    t.teardown(kill)
    // Even if the test times out before its teardown, the server dies with the test process.
    process.once('exit', () => { child.kill('SIGKILL') })
    return { url: `redis://127.0.0.1:${port}`, kill, freeze: () => { child.kill('SIGSTOP') } }
  }
  throw new Error('could not start a private redis-server')
}
