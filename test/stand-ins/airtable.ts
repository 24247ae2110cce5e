import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A stand-in for Airtable's REST API on loopback, reached through the real airtable.js SDK:
// PATCH /v0/{baseId}/{table} with {records: [{id, fields}]} and a bearer key. It keeps the
// fields it was sent, records every request with its arrival time, and can be switched to
// answer 429, 500, slowly, by dropping the connection, with a 200 that is not JSON, or with a
// 200 whose body never ends; or hold each write until the test answers it.

export type StandInMode = 'ok' | '429' | '500' | 'slow' | 'held' | 'reset' | 'not-json' | 'stalled-body'

export interface StandInRequest {
  at: number
  apiKey: string
  baseId: string
  table: string
  recordIds: string[]
  status: number | 'reset'
}

export interface AirtableStandIn {
  url: string
  mode: StandInMode
  /** How long 'slow' takes to answer (then answers 200). */
  slowMs: number
  /** In 'ok' mode, how many of the next writes to hold for slowMs before applying them. */
  slowNext: number
  /** In 'held' mode, how many writes wait for `answerHeld`. */
  heldCount: () => number
  /** Lets the oldest held write go on (it then answers 200); false if none is held. */
  answerHeld: () => boolean
  /** Record ids Airtable does not know (in that base): a request naming one is refused whole (404). */
  isUnknownRecord: (id: string, baseId: string) => boolean
  requests: StandInRequest[]
  /** Last fields written per record id (merged, as PATCH does). */
  records: Map<string, Record<string, unknown>>
  /** The same, per base. */
  recordsByBase: Map<string, Map<string, Record<string, unknown>>>
  /** Resolves when `predicate` holds (checked every 50 ms); rejects after `timeoutMs`. */
  waitFor: (predicate: () => boolean, timeoutMs?: number, what?: string) => Promise<void>
  close: () => Promise<void>
}

async function readBody (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send (response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

/**
 * `bases`: base id → the one key that may write to it (another known key gets 403, an unknown
 * base 404, as Airtable answers); without it any of `apiKeys` may write to any base.
 */
export async function startAirtableStandIn (options: { apiKeys: string[], bases?: Record<string, string> }): Promise<AirtableStandIn> {
  const held: Array<() => void> = []
  const standIn = {
    heldCount: () => held.length,
    answerHeld: () => {
      const next = held.shift()
      next?.()
      return next !== undefined
    },
    mode: 'ok' as StandInMode,
    slowMs: 2000,
    slowNext: 0,
    isUnknownRecord: (_id: string, _baseId: string): boolean => false,
    requests: [] as StandInRequest[],
    records: new Map<string, Record<string, unknown>>(),
    recordsByBase: new Map<string, Map<string, Record<string, unknown>>>()
  }
  const server = createServer((request, response) => {
    void (async () => {
      const at = Date.now()
      const body = await readBody(request)
      const match = /^\/v0\/([^/]+)\/([^/?]+)\/?(\?.*)?$/.exec(request.url ?? '')
      const apiKey = (request.headers.authorization ?? '').replace(/^Bearer /, '')
      const parsed = (() => { try { return JSON.parse(body) as { records?: Array<{ id: string, fields: Record<string, unknown> }> } } catch { return {} } })()
      const records = parsed.records ?? []
      const entry: StandInRequest = { at, apiKey, baseId: match?.[1] ?? '', table: decodeURIComponent(match?.[2] ?? ''), recordIds: records.map(r => r.id), status: 200 }
      standIn.requests.push(entry)
      const answer = (status: number, payload: unknown) => { entry.status = status; send(response, status, payload) }
      if (request.method !== 'PATCH' || match === null) return answer(404, { error: 'NOT_FOUND' })
      const knownKeys = [...options.apiKeys, ...Object.values(options.bases ?? {})]
      if (!knownKeys.includes(apiKey)) return answer(401, { error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } })
      if (options.bases !== undefined) {
        const owner = options.bases[entry.baseId]
        if (owner === undefined) return answer(404, { error: 'NOT_FOUND' })
        if (owner !== apiKey) return answer(403, { error: { type: 'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND', message: 'Invalid permissions, or the requested model was not found.' } })
      }
      if (standIn.mode === 'reset') { entry.status = 'reset'; request.socket.destroy(); return }
      if (standIn.mode === '429') return answer(429, { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] })
      if (standIn.mode === '500') return answer(500, { error: { type: 'SERVER_ERROR', message: 'Server error' } })
      if (standIn.mode === 'not-json') { response.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy error</html>'); return }
      if (standIn.mode === 'stalled-body') { response.writeHead(200, { 'content-type': 'application/json' }); response.write('{"records":['); return }
      if (records.length === 0 || records.length > 10) return answer(422, { error: { type: 'INVALID_RECORDS', message: 'You must provide an array of up to 10 record objects' } })
      const unknown = records.find(r => standIn.isUnknownRecord(r.id, entry.baseId))
      if (unknown !== undefined) return answer(404, { error: { type: 'NOT_FOUND', message: `Record ${unknown.id} does not exist` } })
      if (standIn.mode === 'held') await new Promise<void>(resolve => held.push(resolve))
      if (standIn.mode === 'slow' || (standIn.mode === 'ok' && standIn.slowNext > 0 && standIn.slowNext-- > 0)) await new Promise(resolve => setTimeout(resolve, standIn.slowMs))
      const inBase = standIn.recordsByBase.get(entry.baseId) ?? new Map<string, Record<string, unknown>>()
      standIn.recordsByBase.set(entry.baseId, inBase)
      for (const record of records) {
        standIn.records.set(record.id, { ...standIn.records.get(record.id), ...record.fields })
        inBase.set(record.id, { ...inBase.get(record.id), ...record.fields })
      }
      answer(200, { records: records.map(r => ({ id: r.id, createdTime: '2024-01-01T00:00:00.000Z', fields: standIn.records.get(r.id) })) })
    })()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const waitFor = async (predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}`,
    waitFor,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  })
}

/** The largest number of requests that arrived within any window of `windowMs` (sliding). */
export function maxRequestsInWindow (requests: StandInRequest[], windowMs = 1000): number {
  const times = requests.map(r => r.at).sort((a, b) => a - b)
  let max = 0
  for (let start = 0, end = 0; start < times.length; start++) {
    while (end < times.length && (times[end] ?? 0) < (times[start] ?? 0) + windowMs) end++
    max = Math.max(max, end - start)
  }
  return max
}
