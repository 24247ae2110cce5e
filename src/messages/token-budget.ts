import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { tooManyRequests } from '../http/problem.js'
import type { BudgetUsageRecorder } from './budget-metrics.js'
import { createSharedLimiter } from '../rate-limit/shared-limiter.js'

const DAY_SECONDS = 24 * 60 * 60

export interface TokenBudget {
  /** Throws a 429 when the client's tokens for today (UTC) are used up. */
  ensureAvailable: (clientId: string) => Promise<void>
  /** Counts tokens billed to the client today; never fails the request. */
  spend: (clientId: string, tokens: number) => Promise<void>
}

export const nextUtcMidnight = (now: Date): Date =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))

/**
 * A per-client daily token budget counted from the usage Azure reports, shared through Redis
 * (per process while Redis is absent or down). It is checked before a call and charged after
 * it, so concurrent requests can overshoot by what they spend; `budget` 0 turns it off.
 */
export function createTokenBudget (options: { redis: Redis | undefined, keyPrefix: string, budget: number, logger: Logger, onUsage?: BudgetUsageRecorder, onInsurance?: () => void }): TokenBudget {
  const { budget, logger } = options
  if (budget === 0) return { ensureAvailable: async () => {}, spend: async () => {} }
  const counter = createSharedLimiter({ redis: options.redis, keyPrefix: options.keyPrefix, points: budget, durationSeconds: DAY_SECONDS, onInsurance: options.onInsurance })
  // The UTC date is part of the key, so a day's count can never leak into the next one.
  const dayKey = (clientId: string, now: Date) => `${clientId}:${now.toISOString().slice(0, 10)}`
  return {
    ensureAvailable: async clientId => {
      const now = new Date()
      const state = await counter.peek(dayKey(clientId, now))
      options.onUsage?.(clientId, state.consumed / budget)
      if (state.consumed < budget) return
      const resetsAt = nextUtcMidnight(now)
      const retryAfter = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000))
      throw tooManyRequests(`the daily budget of ${budget} tokens is used up; it resets at ${resetsAt.toISOString()} (UTC midnight)`, retryAfter, {
        type: 'token-budget-exhausted', extensions: { budget, used: state.consumed, resetsAt: resetsAt.toISOString() }
      })
    },
    spend: async (clientId, tokens) => {
      if (tokens <= 0) return
      const now = new Date()
      // Kept an hour past midnight so clock skew between replicas cannot drop a live count.
      const ttl = Math.ceil((nextUtcMidnight(now).getTime() - now.getTime()) / 1000) + 3600
      try {
        const state = await counter.add(dayKey(clientId, now), tokens, ttl)
        options.onUsage?.(clientId, state.consumed / budget)
      } catch (error) {
        logger.error({ err: error }, 'could not count generation tokens against the daily budget')
      }
    }
  }
}
