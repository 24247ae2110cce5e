import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'

// Process-tree checks through Linux /proc: what a process manager would see after a signal.

function stat (pid: number): { ppid: number, state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [state = '', ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(ppid), state }
  } catch {
    return undefined
  }
}

/** Alive and not a zombie. */
export function isRunning (pid: number): boolean {
  const found = stat(pid)
  return found !== undefined && found.state !== 'Z'
}

export function commandLine (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Every running process below `pid` (children, grandchildren, …). */
export function descendants (pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry)
    const found = Number.isInteger(child) ? stat(child) : undefined
    if (found !== undefined && found.state !== 'Z') parents.set(found.ppid, [...(parents.get(found.ppid) ?? []), child])
  }
  const result: number[] = []
  const queue = [pid]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of parents.get(next) ?? []) {
      result.push(child)
      queue.push(child)
    }
  }
  return result
}

/** True when nothing accepts connections on 127.0.0.1:port. */
export async function portIsFree (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => { resolve(true) })
  })
}
