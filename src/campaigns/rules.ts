import { type SendWindow, sendWindowErrors } from '../delivery/send-window.js'
import { type FieldError, validationFailed } from '../http/problem.js'
import type { Message, Targeting } from './schemas.js'

// Rules a JSON schema cannot express. Each failure names its field, like schema errors do.

const KNOWN_PLACEHOLDER = /\{\{(first_name|last_name)\}\}/g
const PLACEHOLDER = /\{\{(.*?)\}\}/g

/**
 * What in a message body would reach a lead as literal text: a placeholder other than
 * {{first_name}} / {{last_name}}, or braces left over around one ({{{first_name}}},
 * {{first_name}). Undefined when the text is fine. Drafts are checked with the same rule.
 */
export function placeholderProblem (text: string): string | undefined {
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match[1] !== 'first_name' && match[1] !== 'last_name') return `holds the unknown placeholder ${match[0]}; only {{first_name}} and {{last_name}} are allowed`
  }
  const rest = text.replace(KNOWN_PLACEHOLDER, '')
  if (rest.includes('{{') || rest.includes('}}')) return 'holds unmatched {{ or }}; placeholders are written {{first_name}} and {{last_name}}'
  return undefined
}

export function placeholderErrors (messages: Message[], prefix = 'messages'): FieldError[] {
  return messages.flatMap((message, index) => {
    const problem = placeholderProblem(message.body)
    return problem !== undefined ? [{ path: `${prefix}/${index}/body`, message: problem }] : []
  })
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
export function assertCampaignRules (parts: { targeting?: Targeting, messages?: Message[], sendWindow?: SendWindow | null }): void {
  const errors = [...targetingErrors(parts.targeting), ...placeholderErrors(parts.messages ?? []), ...sendWindowErrors(parts.sendWindow)]
  if (errors.length > 0) throw validationFailed(errors)
}

export function totalDelayMinutes (messages: Message[]): number {
  return messages.reduce((sum, message) => sum + message.delayMinutes, 0)
}
