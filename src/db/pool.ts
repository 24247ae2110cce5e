import pg from 'pg'
import { preparedName } from './reusable.js'

/** The deadlines the configuration asks for. */
export function configuredTimeouts (config: { DATABASE_STATEMENT_TIMEOUT_MS: number, DATABASE_LOCK_TIMEOUT_MS: number }): DatabaseTimeouts {
  return { statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS, lockMs: config.DATABASE_LOCK_TIMEOUT_MS }
}

export interface DatabaseTimeouts {
  /** statement_timeout of every session. */
  statementMs: number
  /** lock_timeout of every session: a lock wait fails rather than queueing behind a stuck holder. */
  lockMs: number
}

/** A stalled server (connection open, nothing answered) never sends a statement_timeout error: the client gives up this much later. */
const CLIENT_MARGIN_MS = 2000
const SET_LOCAL_TIMEOUT = /set_config\('statement_timeout',\s*'(\d+)',\s*true\)|^\s*set\s+local\s+statement_timeout\s*=\s*'?(\d+)/i
const TRANSACTION_END = /^\s*(commit|rollback)\b/i

/** What pg's Client.query reads from a Query it is given (a Submittable) besides its text and values. */
interface PreparedQuery {
  name: string
  query_timeout: number
  callback: (error: Error | null | undefined, result: unknown) => void
}

/** pg's Result: what it builds from a RowDescription to turn each row into an object. */
interface ResultRowSetup {
  fields: FieldDescription[]
  _types: unknown
  _parsers: unknown[] | undefined
  _prebuiltEmptyResultObject: object | null
  addFields: (fields: FieldDescription[]) => void
}
interface FieldDescription { name: string, dataTypeID: number, format: string }
interface RowSetup { fields: FieldDescription[], types: unknown, parsers: unknown[], prebuilt: object }

function sameFields (a: FieldDescription[], b: FieldDescription[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as FieldDescription
    const y = b[i] as FieldDescription
    if (x.name !== y.name || x.dataTypeID !== y.dataTypeID || x.format !== y.format) return false
  }
  return true
}

/**
 * pg describes a prepared statement's columns again on every execution, and its Result builds
 * the type parsers and the empty row object from them each time: ~7 µs a query (18 columns),
 * about what parsing the row costs. A statement's columns are the same from call to call, so
 * the setup built for the connection's last answer with the same columns (names, types, formats)
 * and the same type set is used again; anything else is built as pg builds it. `rowSetups` is the
 * connection's, by statement name (each connection has a type set of its own).
 */
function reuseRowSetup (query: pg.Query, name: string, rowSetups: Map<string, RowSetup>): void {
  const result = (query as unknown as { _result?: ResultRowSetup })._result
  if (result === undefined || typeof result.addFields !== 'function') return
  const build = result.addFields.bind(result)
  result.addFields = fields => {
    const known = rowSetups.get(name)
    if (known !== undefined && known.types === result._types && sameFields(known.fields, fields)) {
      result.fields = fields
      result._parsers = known.parsers
      result._prebuiltEmptyResultObject = known.prebuilt
      return
    }
    build(fields)
    if (Array.isArray(result._parsers) && typeof result._prebuiltEmptyResultObject === 'object' && result._prebuiltEmptyResultObject !== null) {
      rowSetups.set(name, { fields: fields.map(({ name, dataTypeID, format }) => ({ name, dataTypeID, format })), types: result._types, parsers: result._parsers, prebuilt: result._prebuiltEmptyResultObject })
    }
  }
}

/**
 * Gives every query of `client` a client-side deadline: the session's statement_timeout plus a
 * margin, or the longer one a transaction set for itself (`set local statement_timeout`, the
 * enrollment chunk, through `longerStatementTimeout`) until it ends. A query past it fails with "Query read timeout"; its
 * connection is then destroyed, since pg would keep it waiting for the stalled answer and hand
 * it out again. A text `reusable` built runs as its named prepared statement (`preparedName`).
 */
function applyQueryDeadlines (client: pg.PoolClient, statementMs: number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const submit = client.query.bind(client) as (query: pg.Query) => unknown
  const destroyOnTimeout = (error: unknown): void => {
    if (error instanceof Error && error.message === 'Query read timeout') (client as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
  }
  let transactionMs: number | undefined
  const rowSetups = new Map<string, RowSetup>()
  const deadlined = (...args: unknown[]): unknown => {
    const [first, second] = args
    // (text, values?, callback?) or ({ text, values, ... }, callback?); a Submittable (a cursor) passes as it is.
    const text = typeof first === 'string'
      ? first
      : typeof first === 'object' && first !== null && typeof (first as { text?: unknown }).text === 'string' && typeof (first as { submit?: unknown }).submit !== 'function'
        ? (first as { text: string }).text
        : undefined
    if (text === undefined) return query(...args)
    const timeout = (transactionMs ?? statementMs) + CLIENT_MARGIN_MS
    const longer = SET_LOCAL_TIMEOUT.exec(text)
    if (longer !== null) transactionMs = Number(longer[1] ?? longer[2])
    else if (TRANSACTION_END.test(text)) transactionMs = undefined
    const name = preparedName(text)
    if (name !== undefined && typeof first === 'string' && typeof args[args.length - 1] !== 'function') {
      // A prepared text called as client.query(text, values) (a read compiled once, Kysely's
      // call): pg would copy a config object property by property, a few µs on a hot read; a
      // Query made from the text skips that and runs the same way.
      const prepared = new pg.Query(text, Array.isArray(second) ? second : undefined) as pg.Query & PreparedQuery
      prepared.name = name
      prepared.query_timeout = timeout
      reuseRowSetup(prepared, name, rowSetups)
      return new Promise((resolve, reject) => {
        prepared.callback = (error, result) => {
          if (error == null) { resolve(result); return }
          destroyOnTimeout(error)
          // As pg's own promise does (the stack it came with is the socket's callback).
          Error.captureStackTrace(error)
          reject(error)
        }
        submit(prepared)
      })
    }
    const config = typeof first === 'string'
      ? { text, values: Array.isArray(second) ? second : undefined }
      : { ...first as { text: string }, ...(Array.isArray(second) ? { values: second } : {}) }
    const deadlinedConfig = { ...config, ...(name !== undefined ? { name } : {}), query_timeout: timeout }
    const callback = args.find(arg => typeof arg === 'function') as ((error: unknown, result: unknown) => void) | undefined
    if (callback !== undefined) {
      return query(deadlinedConfig, (error: unknown, result: unknown) => { if (error != null) destroyOnTimeout(error); callback(error, result) })
    }
    const result = query(deadlinedConfig) as Promise<unknown>
    result.catch(destroyOnTimeout)
    return result
  }
  ;(client as unknown as { query: typeof deadlined }).query = deadlined
}

/** The session deadlines of a pool's connections (the client-side one is `applyQueryDeadlines`). */
function timeoutOptions (timeouts: DatabaseTimeouts): pg.PoolConfig {
  return {
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    // A transaction whose client vanished (stalled, killed) must not hold its locks for long.
    idle_in_transaction_session_timeout: Math.max(60_000, 2 * timeouts.statementMs)
  }
}

export interface PoolOptions {
  connectionString: string
  max: number
  /** Names the pool's sessions in pg_stat_activity. */
  applicationName?: string
  /** How long a checkout waits for a connection; without, it waits as long as it takes. */
  connectTimeoutMs?: number
  /** Session and client-side deadlines; without (migrations, tests' setup), statements take as long as they need. */
  timeouts?: DatabaseTimeouts
  /** Told when a client loses its connection. */
  onClientError?: (error: Error) => void
}

/**
 * Every pg pool of the service. It survives connection loss: a client losing its connection
 * (idle or checked out) emits 'error', an uncaught exception without a listener; the query on it
 * fails on its own and the pool replaces it. With `timeouts` its queries get deadlines.
 */
export function createPool (options: PoolOptions): pg.Pool {
  const { timeouts, onClientError = () => {} } = options
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    ...(options.applicationName !== undefined ? { application_name: options.applicationName } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
    ...(timeouts !== undefined ? timeoutOptions(timeouts) : {})
  })
  pool.on('error', () => {})
  pool.on('connect', client => {
    client.on('error', onClientError)
    if (timeouts !== undefined) applyQueryDeadlines(client, timeouts.statementMs)
  })
  return pool
}
