import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

// Who runs the embedded cluster. The process that starts the postmaster writes its pid to
// `owner` beside the data; a server or CLI started while that owner lives shares the cluster. A
// postmaster whose owner died without stopping it (SIGKILL, OOM) is an orphan: it still holds the
// port and the data folder, and nobody would ever stop it, so the next start stops it first.

interface ProcessInfo { ppid: number, command: string, zombie: boolean }

/** Parent, command line and state of a process (Linux /proc, else `ps`); undefined when it is gone or unknown. */
function processInfo (pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
    return { ppid: Number(ppid), command, zombie: state === 'Z' }
  } catch { /* no /proc (macOS), or the process is gone: ask ps */ }
  try {
    const line = execFileSync('ps', ['-o', 'ppid=,stat=,command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const [, ppid, state, command] = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line.trim()) ?? []
    return command === undefined ? undefined : { ppid: Number(ppid), command, zombie: state?.startsWith('Z') === true }
  } catch {
    return undefined
  }
}

function isRunning (pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return processInfo(pid)?.zombie !== true
}

function readPid (file: string): number | undefined {
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

export type ClusterState = { kind: 'stopped' } | { kind: 'shared' | 'orphan', pid: number }

/** Whether the cluster in `clusterDir` runs, and if so whether a live process owns it. */
export function clusterState (root: string, clusterDir: string): ClusterState {
  const pidFile = path.join(clusterDir, 'postmaster.pid')
  const pid = readPid(pidFile)
  if (pid === undefined || !isRunning(pid)) return { kind: 'stopped' } // a stale postmaster.pid: PostgreSQL replaces it
  const postmaster = processInfo(pid)
  if (postmaster !== undefined && !postmaster.command.includes('postgres')) {
    // The pid of a postmaster that died with its machine, now another program's: PostgreSQL would refuse to start.
    rmSync(pidFile, { force: true })
    return { kind: 'stopped' }
  }
  const owner = readPid(path.join(root, 'owner'))
  const parent = postmaster?.ppid ?? owner
  const owned = parent !== undefined && parent !== 1 && isRunning(parent) && (owner === undefined || owner === parent)
  return { kind: owned ? 'shared' : 'orphan', pid }
}

export function recordOwner (root: string): void {
  writeFileSync(path.join(root, 'owner'), `${process.pid}\n`)
}

/** The postmaster's pid while it runs (for a synchronous stop on exit). */
export function runningPostmasterPid (clusterDir: string): number | undefined {
  const pid = readPid(path.join(clusterDir, 'postmaster.pid'))
  return isRunning(pid) ? pid : undefined
}

/** Asks an orphaned postmaster for a fast shutdown and waits until it is gone (it removes postmaster.pid last). */
export async function stopOrphan (clusterDir: string, pid: number, timeoutMs = 60_000): Promise<void> {
  process.kill(pid, 'SIGINT')
  const deadline = Date.now() + timeoutMs
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL left running by an earlier run (pid ${pid}, data in ${clusterDir}) did not stop within ${timeoutMs / 1000} s: stop it, then start again`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
