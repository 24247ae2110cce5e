// A small loopback load generator: `connections` keep-alive sockets (node:http Agent), each
// sending its next request as soon as the last answer arrived, bounded by a request count and
// by time. Latencies are kept per request (a few hundred thousand numbers at most).
import http from 'node:http'

export interface LoadOptions {
  port: number
  /** Paths to request in turn (one per request). */
  paths: string[]
  headers?: Record<string, string>
  connections: number
  maxRequests: number
  maxMs: number
}

export interface LoadResult {
  requests: number
  errors: number
  ms: number
  latencies: number[]
}

export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections })
  const latencies: number[] = []
  let sent = 0
  let errors = 0
  const started = performance.now()
  const deadline = started + options.maxMs
  const one = async (path: string): Promise<void> => await new Promise(resolve => {
    const t0 = performance.now()
    const request = http.request({ host: '127.0.0.1', port: options.port, path, agent, headers: options.headers }, response => {
      response.on('data', () => {})
      response.on('end', () => {
        if (response.statusCode !== 200) errors++
        latencies.push(performance.now() - t0)
        resolve()
      })
    })
    request.on('error', () => { errors++; resolve() })
    request.end()
  })
  const worker = async (): Promise<void> => {
    while (sent < options.maxRequests && performance.now() < deadline) {
      const path = options.paths[sent % options.paths.length] as string
      sent++
      await one(path)
    }
  }
  await Promise.all(Array.from({ length: options.connections }, worker))
  const ms = performance.now() - started
  agent.destroy()
  return { requests: latencies.length, errors, ms, latencies }
}

/** The q-quantile (0..1) of a list of latencies in ms. */
export function quantile (values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}
