import net from 'node:net'
import type { Test } from 'tap'
import { freePort } from './private-redis.js'

/**
 * A TCP proxy between the service and PostgreSQL that can fail the way networks do:
 * `cut()` resets every connection and refuses new ones (a database down or unreachable);
 * `stall()` keeps connections open but passes nothing (a frozen server, a black-holed route);
 * `restore()` ends either (a stall delivers what it held back).
 */
export interface FaultProxy {
  url: string
  cut: () => Promise<void>
  stall: () => void
  restore: () => Promise<void>
}

export async function faultProxy (t: Test, databaseUrl: string): Promise<FaultProxy> {
  const url = new URL(databaseUrl)
  const target = { host: url.hostname, port: Number(url.port || 5432) }
  const port = await freePort()
  url.hostname = '127.0.0.1'
  url.port = String(port)
  let state: 'up' | 'cut' | 'stalled' = 'up'
  const sockets = new Set<net.Socket>()
  let held: Array<[net.Socket, Buffer]> = []
  const track = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => { if (state === 'stalled') held.push([to, chunk]); else if (!to.destroyed) to.write(chunk) })
    from.on('close', () => { if (state !== 'stalled') to.destroy() })
  }
  const server = net.createServer(socket => {
    const upstream = net.connect(target)
    track(socket)
    track(upstream)
    forward(socket, upstream)
    forward(upstream, socket)
  })
  const listen = async (): Promise<void> => { await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve)) }
  await listen()
  t.teardown(() => {
    server.close()
    for (const socket of sockets) socket.destroy()
  })
  return {
    url: url.toString(),
    cut: async () => {
      state = 'cut'
      held = []
      const closed = new Promise<void>(resolve => server.close(() => { resolve() }))
      for (const socket of sockets) socket.resetAndDestroy()
      await closed
    },
    stall: () => { state = 'stalled' },
    restore: async () => {
      const was = state
      state = 'up'
      if (was === 'cut') await listen()
      for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk)
      held = []
    }
  }
}
