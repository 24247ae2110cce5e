// The processes the bench measures: the service as deployed (the compiled `dist/src/server.js`,
// its logs going nowhere) and the bare floor server (tsx, talking over IPC).
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export interface Child {
  pid: number | undefined
  port: number
  internalPort: number
  /** The process's peak RSS so far, in bytes (Linux: VmHWM), or undefined where unknown. */
  maxRss: () => Promise<number | undefined>
  /** Starts a new peak-RSS period (Linux: clear_refs 5), so maxRss tells the next path's own peak. */
  resetPeak: () => Promise<void>
  /** CPU time the process used so far (user + system), ms; Linux only, else 0. */
  cpuMs: () => Promise<number>
  stop: () => Promise<void>
}

const root = fileURLToPath(new URL('..', import.meta.url))

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    }).on('error', reject)
  })
}

async function peakRss (pid: number | undefined): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

async function resetPeak (pid: number | undefined): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {})
}

/** CPU time a process used so far (user + system), ms; Linux only, else 0. */
export async function cpuTime (pid: number | undefined): Promise<number> {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the command's closing parenthesis.
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}

async function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise(resolve => child.once('exit', resolve))
}

/** `node dist/src/server.js` on free loopback ports; resolves once /healthz answers. */
export async function startService (env: Record<string, string>): Promise<Child> {
  const [port, internalPort] = [await freePort(), await freePort()]
  // BENCH_SERVICE_NODE_ARGS='--cpu-prof' profiles the service (the profile lands in the repository root).
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(arg => arg !== '') ?? []
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/server.js'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), INTERNAL_PORT: String(internalPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) while starting`)
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(response => response.ok, () => false)
    if (up) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    pid: child.pid,
    port,
    internalPort,
    maxRss: async () => await peakRss(child.pid),
    resetPeak: async () => { await resetPeak(child.pid) },
    cpuMs: async () => await cpuTime(child.pid),
    stop: async () => { child.kill('SIGTERM'); await exited(child) }
  }
}

/** A bench script of its own (tsx) that sends `{ port }` over IPC once it listens. */
export async function startScript (script: string, env: Record<string, string>): Promise<Child> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('exit', code => { reject(new Error(`${script} exited (${code})`)) })
    child.once('message', message => { resolve(message as { port: number }) })
  })
  return {
    pid: child.pid,
    port,
    internalPort: port,
    maxRss: async () => await peakRss(child.pid),
    resetPeak: async () => { await resetPeak(child.pid) },
    cpuMs: async () => await cpuTime(child.pid),
    stop: async () => { child.kill('SIGTERM'); await exited(child) }
  }
}
