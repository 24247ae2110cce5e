// The floor for reads: a bare node:http server and a pg pool answering the same rows as the
// service's GET routes, with nothing in between (no framework, auth, validation or logging).
// Started as a child process by the bench; tells its port over IPC.
import http from 'node:http'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) })
const clientId = process.env.CLIENT_ID as string

async function answer (url: string): Promise<unknown> {
  const [path, query] = url.split('?')
  const parts = (path ?? '').split('/')
  if (parts[1] === 'campaigns' && parts[2] !== undefined) {
    return (await pool.query('select * from campaigns where client_id = $1 and id = $2', [clientId, parts[2]])).rows[0]
  }
  if (parts[1] === 'leads' && parts[2] !== undefined) {
    return (await pool.query('select * from leads where client_id = $1 and id = $2', [clientId, parts[2]])).rows[0]
  }
  if (parts[1] === 'leads') {
    const limit = Number(new URLSearchParams(query).get('limit') ?? 50)
    const rows = (await pool.query<{ id: string }>('select * from leads where client_id = $1 order by created_at, id limit $2', [clientId, limit + 1])).rows
    return { data: rows.slice(0, limit), nextCursor: rows.length > limit ? rows[limit - 1]?.id ?? null : null }
  }
  return undefined
}

const server = http.createServer((request, response) => {
  answer(request.url ?? '/').then(body => {
    const text = JSON.stringify(body ?? { status: 404 })
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    response.end(text)
  }, () => { response.writeHead(500).end() })
})
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 })
})
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => { void pool.end().then(() => process.exit(0)) }) })
