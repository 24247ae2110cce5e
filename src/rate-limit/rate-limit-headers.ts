import type { LimitState } from './shared-limiter.js'

/** Whole seconds until the window resets; at least 1 while anything is counted. */
export const secondsUntilReset = (state: LimitState): number => Math.max(1, Math.ceil(state.resetMs / 1000))

/**
 * The RateLimit-* headers (IETF draft "RateLimit header fields for HTTP", delta-seconds form),
 * sent on allowed and refused requests alike so clients can pace themselves.
 */
export function rateLimitHeaders (state: LimitState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(secondsUntilReset(state))
  }
}
