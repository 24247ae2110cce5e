import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { Logger } from 'pino'

/** The channel migration 0013's trigger announces a changed or deleted key on (its hash, hex). */
export const KEY_CHANNEL = 'api_keys_changed'

export interface KeyCacheOptions {
  databaseUrl: string
  logger: Logger
  /** How often the listening connection is pinged. */
  heartbeatMs?: number
  /** How long after a ping was sent its answer vouches for the cache: the revocation bound. */
  freshMs?: number
  /** Wait before reconnecting a lost listening connection. */
  reconnectMs?: number
  /** Entries older than this are looked up again anyway. */
  maxAgeMs?: number
  maxEntries?: number
}

/**
 * API key hash → client id, in process, so an authenticated request costs no database round
 * trip for its key. A dedicated connection LISTENs for key changes (a trigger NOTIFYs at commit)
 * and is pinged every `heartbeatMs`: PostgreSQL delivers a notification committed before a ping
 * reached it ahead of the ping's answer, so while a ping sent less than `freshMs` ago has been
 * answered, no revocation older than `freshMs` can be missing. Otherwise (connection lost,
 * database slow, never started) the cache is not consulted and every request reads the
 * database: a revoked key never works more than `freshMs` after its revocation committed, on any
 * replica. The replica that revoked a key evicts it itself before answering.
 */
export class ApiKeyCache extends EventEmitter<{ state: ['listening' | 'fallback'], evicted: [string] }> {
  private readonly entries = new Map<string, { clientId: string, at: number }>()
  /** Bumped by every eviction: a lookup that overlapped one does not fill the cache. */
  private generation = 0
  private freshUntil = 0
  private listener: pg.Client | undefined
  private running = false
  private timer: NodeJS.Timeout | undefined
  private readonly heartbeatMs: number
  private readonly freshMs: number
  private readonly reconnectMs: number
  private readonly maxAgeMs: number
  private readonly maxEntries: number

  constructor (private readonly options: KeyCacheOptions) {
    super()
    this.heartbeatMs = options.heartbeatMs ?? 200
    this.freshMs = options.freshMs ?? 900
    this.reconnectMs = options.reconnectMs ?? 1000
    this.maxAgeMs = options.maxAgeMs ?? 60_000
    this.maxEntries = options.maxEntries ?? 10_000
  }

  /** The cached client of a key hash, or undefined: unknown, stale, or the cache cannot vouch. */
  get (keyHash: string): string | undefined {
    const now = performance.now()
    if (now >= this.freshUntil) return undefined
    const entry = this.entries.get(keyHash)
    return entry !== undefined && now - entry.at < this.maxAgeMs ? entry.clientId : undefined
  }

  /** Marks the start of a database lookup; pass the mark to `set` with its result. */
  mark (): number { return this.generation }

  set (keyHash: string, clientId: string, mark: number): void {
    if (mark !== this.generation || this.listener === undefined) return
    if (this.entries.size >= this.maxEntries) this.entries.clear()
    this.entries.set(keyHash, { clientId, at: performance.now() })
  }

  evict (keyHash: string): void {
    this.generation++
    this.entries.delete(keyHash)
    this.emit('evicted', keyHash)
  }

  get size (): number { return this.entries.size }
  get state (): 'listening' | 'fallback' { return this.listener !== undefined ? 'listening' : 'fallback' }
  /** The backend pid of the listening connection (tests end it to simulate a lost connection). */
  get listenerPid (): number | undefined { return (this.listener as unknown as { processID?: number } | undefined)?.processID }

  /** Resolves once the listening connection is up and has answered a ping (the cache vouches). */
  async whenListening (): Promise<void> {
    while (!(await this.sync().catch(() => false))) await new Promise(resolve => this.once('state', resolve))
  }

  /** Starts listening in the background; until it is up, every lookup goes to the database. */
  start (): void {
    if (this.running) return
    this.running = true
    void this.connect()
  }

  async stop (): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    const listener = this.listener
    this.drop()
    await listener?.end().catch(() => {})
  }

  /**
   * One ping on the listening connection: every key change committed before it is applied
   * when it resolves. Resolves false when not listening.
   */
  async sync (): Promise<boolean> {
    const listener = this.listener
    if (listener === undefined) return false
    const sent = performance.now()
    await listener.query('select 1')
    if (listener === this.listener) this.freshUntil = sent + this.freshMs
    return true
  }

  private async connect (): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'campaign-service-keys', keepAlive: true })
    client.on('notification', message => { if (message.channel === KEY_CHANNEL && message.payload !== undefined) this.evict(message.payload) })
    client.on('error', () => { this.lost(client) })
    client.on('end', () => { this.lost(client) })
    try {
      await client.connect()
      await client.query(`listen ${KEY_CHANNEL}`)
    } catch (error) {
      this.options.logger.warn({ err: { message: (error as Error).message } }, 'API key cache: cannot listen for key changes; every request reads its key from the database')
      await client.end().catch(() => {})
      this.retry()
      return
    }
    if (!this.running) { await client.end().catch(() => {}); return }
    // Changes made while nobody listened were missed: start empty.
    this.clear()
    this.listener = client
    this.emit('state', 'listening')
    this.heartbeat()
  }

  private heartbeat (): void {
    const listener = this.listener
    if (!this.running || listener === undefined) return
    // A ping that does not answer leaves freshUntil behind, so the cache stops vouching on its
    // own; one silent for 10 s counts as a lost connection and is replaced.
    const silent = setTimeout(() => { this.lost(listener) }, 10_000).unref()
    this.sync().then(() => {
      clearTimeout(silent)
      if (listener === this.listener) this.timer = setTimeout(() => { this.heartbeat() }, this.heartbeatMs).unref()
    }, () => { clearTimeout(silent); this.lost(listener) })
  }

  private lost (client: pg.Client | undefined): void {
    if (client === undefined || client !== this.listener) return
    this.options.logger.warn('API key cache: the listening connection was lost; reading keys from the database until it is back')
    this.drop()
    void client.end().catch(() => {})
    this.retry()
  }

  private drop (): void {
    this.listener = undefined
    this.freshUntil = 0
    this.clear()
    this.emit('state', 'fallback')
  }

  private clear (): void {
    this.generation++
    this.entries.clear()
  }

  private retry (): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.connect() }, this.reconnectMs).unref()
  }
}
