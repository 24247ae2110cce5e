import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import type { Test } from 'tap'

export interface ServiceProcess {
  child: ChildProcess
  output: () => string
  /** The JSON log lines so far. */
  lines: () => Array<Record<string, unknown> & { msg?: string }>
  exited: Promise<number | null>
  /** Ports of the listeners, once both announced themselves (the worker entry has only `internal`). */
  port: (listener: 'public' | 'internal') => number
}

/** Runs a process entry (src/server.ts, src/worker.ts) with only `env`; SIGKILLed when the test ends. */
export function startService (t: Test, entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  t.teardown(() => { child.kill('SIGKILL') })
  const lines = (): Array<Record<string, unknown> & { msg?: string }> => output.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line))
  const port = (listener: 'public' | 'internal'): number => {
    const line = lines().find(l => l.listener === listener && typeof l.msg === 'string' && l.msg.startsWith('Server listening at http://127.0.0.1:'))
    return Number(line?.msg?.split(':').pop() ?? 0)
  }
  return { child, output: () => output, lines, exited, port }
}

/** Resolves once `predicate` holds, polling every `everyMs`; fails after `timeoutMs`. */
export async function waitUntil (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

export interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** One HTTP call on loopback; a connection error is an answer with status 0. */
export async function call (port: number, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  return await new Promise(resolve => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request({ host: '127.0.0.1', port, method, path, headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers } }, res => {
      let data = ''
      res.on('data', (chunk: Buffer) => { data += chunk.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }) })
    })
    req.on('error', (error: Error) => { resolve({ status: 0, headers: {}, body: error.message }) })
    req.end(payload)
  })
}
