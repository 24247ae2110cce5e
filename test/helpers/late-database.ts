import net from 'node:net'
import type { Test } from 'tap'
import { freshDatabase } from './postgres.js'
import { freePort } from './private-redis.js'

/**
 * A fresh database reached through a loopback port nothing listens on yet: `url` is refused
 * until `comeUp()` starts a proxy there to the real server.
 */
export async function lateDatabase (t: Test): Promise<{ url: string, comeUp: () => Promise<void> }> {
  const url = new URL(await freshDatabase(t))
  const target = { host: url.hostname, port: Number(url.port || 5432) }
  const port = await freePort()
  url.hostname = '127.0.0.1'
  url.port = String(port)
  const comeUp = async (): Promise<void> => {
    const proxy = net.createServer(socket => {
      const upstream = net.connect(target)
      socket.pipe(upstream).pipe(socket)
      socket.on('error', () => upstream.destroy())
      upstream.on('error', () => socket.destroy())
    })
    await new Promise<void>(resolve => proxy.listen(port, '127.0.0.1', resolve))
    t.teardown(() => { proxy.close() })
  }
  return { url: url.toString(), comeUp }
}
