import { type FieldError, validationFailed } from '../http/problem.js'
import type { Message, Targeting } from './schemas.js'

// Rules a JSON schema cannot express. Each failure names its field, like schema errors do.

const PLACEHOLDER = /\{\{(.*?)\}\}/g
const ALLOWED_PLACEHOLDERS = new Set(['first_name', 'last_name'])

export function placeholderErrors (messages: Message[], prefix = 'messages'): FieldError[] {
  const errors: FieldError[] = []
  messages.forEach((message, index) => {
    for (const match of message.body.matchAll(PLACEHOLDER)) {
      if (!ALLOWED_PLACEHOLDERS.has(match[1] ?? '')) {
        errors.push({ path: `${prefix}/${index}/body`, message: `holds the unknown placeholder ${match[0]}; only {{first_name}} and {{last_name}} are allowed` })
      }
    }
  })
  return errors
}

/** An RFC 3339 time in microseconds since the epoch, as PostgreSQL keeps it (Date.parse stops at ms). */
function microseconds (value: string): bigint {
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? ''
  return BigInt(Date.parse(value)) * 1000n + BigInt((fraction + '000000').slice(3, 6))
}

export function targetingErrors (targeting: Targeting | undefined, prefix = 'targeting'): FieldError[] {
  const errors: FieldError[] = []
  const icp = targeting?.icpScore
  if (icp?.min !== undefined && icp.max !== undefined && icp.min > icp.max) {
    errors.push({ path: `${prefix}/icpScore/min`, message: 'must be <= icpScore.max' })
  }
  if (targeting?.createdAfter !== undefined && targeting.createdBefore !== undefined &&
      microseconds(targeting.createdAfter) > microseconds(targeting.createdBefore)) {
    errors.push({ path: `${prefix}/createdAfter`, message: 'must be <= createdBefore' })
  }
  return errors
}

/** Throws one 400 naming every offending field. */
export function assertCampaignRules (parts: { targeting?: Targeting, messages?: Message[] }): void {
  const errors = [...targetingErrors(parts.targeting), ...placeholderErrors(parts.messages ?? [])]
  if (errors.length > 0) throw validationFailed(errors)
}

export function totalDelayMinutes (messages: Message[]): number {
  return messages.reduce((sum, message) => sum + message.delayMinutes, 0)
}
