import type { FastifyReply } from 'fastify'
import type { AppContext } from '../context.js'
import { HttpProblem, tooManyRequests } from '../http/problem.js'
import { rateLimitHeaders, secondsUntilReset } from '../rate-limit/rate-limit-headers.js'
import { insuranceMonitor } from '../rate-limit/insurance-monitor.js'
import { createSharedLimiter } from '../rate-limit/shared-limiter.js'
import { createBudgetMetrics } from './budget-metrics.js'
import { createTokenBudget } from './token-budget.js'

export interface GenerationLimits {
  /** Counts one generation for the client: 429 over the per-minute limit or the daily budget. */
  admit: (clientId: string, reply: FastifyReply) => Promise<void>
  /** Charges billed tokens to the client's daily budget. */
  spend: (clientId: string, tokens: number) => Promise<void>
}

/** The per-client limits on message generation, shared by all replicas through ctx.redis. */
export function createGenerationLimits (ctx: AppContext): GenerationLimits {
  const prefix = `${ctx.config.RATE_LIMIT_KEY_PREFIX}:generate`
  const perMinute = createSharedLimiter({ redis: ctx.redis, keyPrefix: prefix, points: ctx.config.GENERATE_RATE_LIMIT_PER_MINUTE, durationSeconds: 60, onInsurance: insuranceMonitor(ctx.metrics, ctx.logger, 'generate_per_minute') })
  const budget = createTokenBudget({ redis: ctx.redis, keyPrefix: `${prefix}-tokens`, budget: ctx.config.GENERATE_DAILY_TOKEN_BUDGET, logger: ctx.logger,
    onInsurance: insuranceMonitor(ctx.metrics, ctx.logger, 'generate_daily_tokens'),
    onUsage: createBudgetMetrics(ctx.metrics, ctx.config.METRICS_CLIENT_LABELS)
  })
  return {
    admit: async (clientId, reply) => {
      // The budget first: a refusal for an exhausted budget must not use a per-minute slot, or
      // the next answer would say "retry in 60 s" while the budget is shut until midnight. Its
      // RateLimit-* headers agree with its Retry-After (nothing left until the budget resets), so
      // a client pacing by them does not retry every minute.
      try {
        await budget.ensureAvailable(clientId)
      } catch (error) {
        const retryAfter = error instanceof HttpProblem ? error.headers['retry-after'] : undefined
        if (retryAfter !== undefined) {
          void reply.headers({ 'ratelimit-limit': String(perMinute.limit), 'ratelimit-remaining': '0', 'ratelimit-reset': retryAfter })
        }
        throw error
      }
      const state = await perMinute.consume(clientId)
      void reply.headers(rateLimitHeaders(state))
      if (!state.allowed) {
        const retryAfter = secondsUntilReset(state)
        throw tooManyRequests(`at most ${state.limit} messages per minute can be generated; retry in ${retryAfter} s`, retryAfter)
      }
    },
    spend: budget.spend
  }
}
