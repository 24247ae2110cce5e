import type { Redis } from 'ioredis'
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'

export interface SharedLimiterOptions {
  /** ctx.redis; undefined → a per-process limiter only. */
  redis: Redis | undefined
  /** Full key prefix, unique per limiter, e.g. `${RATE_LIMIT_KEY_PREFIX}:generate`. */
  keyPrefix: string
  /** Points allowed per window. */
  points: number
  durationSeconds: number
  /** A Redis call slower than this (frozen server, lost packets) falls back to the process. */
  redisTimeoutMs?: number
  /** Called for each decision the per-process insurance takes while Redis is down or frozen. */
  onInsurance?: () => void
}

/** The per-process limiter that stands in for Redis; tells `onUse` each time it decides. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor (options: ConstructorParameters<typeof RateLimiterMemory>[0], private readonly onUse: () => void) { super(options) }
  override async consume (...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> { this.onUse(); return await super.consume(...args) }
  override async penalty (...args: Parameters<RateLimiterMemory['penalty']>): Promise<RateLimiterRes> { this.onUse(); return await super.penalty(...args) }
  override async get (...args: Parameters<RateLimiterMemory['get']>): Promise<RateLimiterRes | null> { this.onUse(); return await super.get(...args) }
}

/** The state of one key after an operation; `allowed` is false when consuming went over the limit. */
export interface LimitState {
  allowed: boolean
  limit: number
  /** Points consumed in the current window (may exceed limit after penalties). */
  consumed: number
  remaining: number
  /** Milliseconds until the window resets. */
  resetMs: number
}

export interface SharedLimiter {
  readonly limit: number
  /** Takes points; over the limit resolves with allowed=false (never throws for that). */
  consume: (key: string, points?: number, windowSeconds?: number) => Promise<LimitState>
  /** Adds points without a limit check (e.g. tokens spent after the fact). */
  add: (key: string, points: number, windowSeconds?: number) => Promise<LimitState>
  /** Reads the key's state without changing it. */
  peek: (key: string) => Promise<LimitState>
}

/**
 * A limiter shared by every replica through Redis. While Redis is down or frozen each process
 * keeps its own in-memory count (rate-limiter-flexible's insurance limiter), so the service keeps
 * answering, limited per process instead of globally, and returns to the shared count on recovery.
 */
export function createSharedLimiter (options: SharedLimiterOptions): SharedLimiter {
  const { redis, keyPrefix, points, durationSeconds } = options
  let limiter: RateLimiterAbstract | RLWrapperTimeouts = new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds })
  if (redis !== undefined) {
    const memory = new InsuranceLimiter({ keyPrefix, points, duration: durationSeconds }, options.onInsurance ?? (() => {}))
    // rejectIfRedisNotReady: while ioredis reconnects, go straight to the insurance limiter.
    const shared = new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: durationSeconds, insuranceLimiter: memory, rejectIfRedisNotReady: true })
    // A connected but unresponsive Redis never errors; the timeout turns it into a fallback too.
    limiter = new RLWrapperTimeouts({ limiter: shared, timeoutMs: options.redisTimeoutMs ?? 500, insuranceLimiter: memory })
  }
  const state = (res: RateLimiterRes | null, allowed: boolean): LimitState => {
    const consumed = res?.consumedPoints ?? 0
    return { allowed, limit: points, consumed, remaining: Math.max(points - consumed, 0), resetMs: Math.max(res?.msBeforeNext ?? 0, 0) }
  }
  const custom = (windowSeconds: number | undefined) => windowSeconds === undefined ? {} : { customDuration: windowSeconds }
  return {
    limit: points,
    consume: async (key, count = 1, windowSeconds) => {
      try {
        return state(await limiter.consume(key, count, custom(windowSeconds)), true)
      } catch (error) {
        if (error instanceof RateLimiterRes) return state(error, false)
        throw error
      }
    },
    add: async (key, count, windowSeconds) => state(await limiter.penalty(key, count, custom(windowSeconds)), true),
    peek: async key => {
      const res = await limiter.get(key)
      return state(res, (res?.consumedPoints ?? 0) < points)
    }
  }
}
