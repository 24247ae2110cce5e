import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible'
import { withDeadline } from '../deadline.js'

// Airtable allows 5 requests per second per base, and after a 429 refuses everything for 30 s.
// rate-limiter-flexible's Redis limiter counts fixed windows, which lets 2x the limit through
// around a window boundary; this script (plugged in through customIncrTtlLuaScript) keeps a
// sliding log of grant times instead, using Redis' clock so every replica shares one timeline.
// ARGV: points, whole seconds, limit, window in seconds (may be fractional).
const SLIDING_LOG = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = math.floor(tonumber(ARGV[4]) * 1000)
local limit = tonumber(ARGV[3])
local points = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + points > limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {limit + 1, tonumber(oldest[2]) + window - now}
end
for i = 1, points do redis.call('ZADD', KEYS[1], now, now .. ':' .. (used + i)) end
redis.call('PEXPIRE', KEYS[1], window)
return {used + points, window}`

// A margin on top of Airtable's one-second window: the limit is counted where slots are
// granted, Airtable counts where requests arrive, and network jitter and a busy event loop sit
// in between. It costs a sixth of the throughput (5 per 1.2 s); a 429 costs 30 s.
const WINDOW_MARGIN_MS = 200
/** How long a Redis call may take before the process goes on with its own view. */
const REDIS_TIMEOUT_MS = 500

const withTimeout = async <T>(promise: Promise<T>, ms: number): Promise<T> =>
  await withDeadline(promise, ms, () => new Error(`Redis did not answer in ${ms} ms`))

/** Airtable's penalty after a 429. */
export const RATE_LIMIT_PAUSE_MS = 30_000

async function readyOrTimeout (redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms)
    redis.once('ready', () => { clearTimeout(timer); resolve() })
  })
}

export interface BaseRateLimiter {
  /** Resolves when this process may send one request to the base; waits (abortably) until then. */
  acquire: (baseId: string, signal?: AbortSignal) => Promise<void>
  /** After a 429: no replica sends to the base for `ms`. */
  pause: (baseId: string, ms: number) => Promise<void>
  close: () => Promise<void>
}

/**
 * At most `requestsPerSecond` requests per base across all replicas, through Redis: one
 * limiter (and one Redis connection) for every client's base, each base its own keys. Redis
 * unreachable → the in-process insurance spaces requests evenly (per process, so replicas
 * together may exceed the limit until Redis is back: Airtable then answers 429 and we pause).
 */
export async function createBaseRateLimiter (options: { redis: Redis | undefined, requestsPerSecond: number }): Promise<BaseRateLimiter> {
  const windowSeconds = (1000 + WINDOW_MARGIN_MS) / 1000
  const insurance = new RateLimiterMemory({ keyPrefix: 'airtable:rate', points: 1, duration: windowSeconds / options.requestsPerSecond })
  // Its own connection: RateLimiterRedis defines its script as a command on the client, and a
  // custom script on the shared client would replace the one other limiters rely on.
  const redis = options.redis?.duplicate()
  redis?.on('error', () => {}) // the shared client already logs Redis outages
  // Grants made by the insurance are invisible to Redis: starting on it while the connection
  // is still being made would let both grant a full second's worth at once.
  if (redis !== undefined) await readyOrTimeout(redis, 2000)
  // A connected but frozen Redis never errors: the timeout hands the grant to the insurance too,
  // or every job would wait on it (and shutdown with them).
  const limiter = redis === undefined
    ? insurance
    : new RLWrapperTimeouts({
      limiter: new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: 'airtable:rate',
        points: options.requestsPerSecond,
        duration: windowSeconds,
        customIncrTtlLuaScript: SLIDING_LOG,
        rejectIfRedisNotReady: true,
        insuranceLimiter: insurance
      }),
      timeoutMs: REDIS_TIMEOUT_MS,
      insuranceLimiter: insurance
    })
  const pauseKey = (baseId: string): string => `airtable:pause:${baseId}`
  // What this process saw itself, per base; Redis carries other replicas' 429s.
  const pausedUntil = new Map<string, number>()

  async function pausedFor (baseId: string): Promise<number> {
    let shared = 0
    if (redis !== undefined && redis.status === 'ready') {
      try {
        shared = Math.max(0, await withTimeout(redis.pttl(pauseKey(baseId)), REDIS_TIMEOUT_MS))
      } catch { /* Redis down or frozen: local view only */ }
    }
    const local = (pausedUntil.get(baseId) ?? 0) - Date.now()
    if (local <= 0) pausedUntil.delete(baseId)
    return Math.max(shared, local)
  }

  return {
    async acquire (baseId, signal) {
      for (;;) {
        signal?.throwIfAborted()
        const paused = await pausedFor(baseId)
        if (paused > 0) {
          await sleep(paused, undefined, { signal })
          continue
        }
        try {
          await limiter.consume(baseId)
          return
        } catch (error) {
          if (!(error instanceof RateLimiterRes)) throw error
          // Jitter, so waiting tasks do not all come back in the same millisecond.
          await sleep(error.msBeforeNext + Math.floor(Math.random() * 25), undefined, { signal })
        }
      }
    },
    async pause (baseId, ms) {
      const until = Date.now() + ms
      if (until > (pausedUntil.get(baseId) ?? 0)) pausedUntil.set(baseId, until)
      if (redis === undefined) return
      try { await withTimeout(redis.set(pauseKey(baseId), '1', 'PX', ms), REDIS_TIMEOUT_MS) } catch { /* local pause still holds */ }
    },
    async close () {
      redis?.disconnect()
    }
  }
}
