import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js'
import { sql, type RawBuilder } from 'kysely'
import type { FieldError } from '../http/problem.js'

export const PHONE_MESSAGE = 'must be a possible phone number: E.164 (+12133734253) or a national number of the default region (null: no phone)'

/**
 * The E.164 form of a phone written in E.164 or as a national number of `region`, or undefined
 * when it is not a possible number. The whole value must be the number (no text around it, no
 * extension: an SMS cannot reach one); spaces, dots, dashes and brackets are fine.
 */
export function toE164 (value: string, region: string): string | undefined {
  const parsed = parsePhoneNumberFromString(value.trim(), { defaultCountry: region as CountryCode, extract: false })
  if (parsed === undefined || parsed.ext !== undefined || !parsed.isPossible()) return undefined
  return parsed.number
}

/** The phone as stored (E.164, or null to clear it), or a field error naming `path`. */
export function normalizePhone (value: string | null, region: string, path: string): { phone: string | null } | { error: FieldError } {
  if (value === null) return { phone: null }
  const phone = toE164(value, region)
  return phone === undefined ? { error: { path, message: PHONE_MESSAGE } } : { phone }
}

/**
 * True when a stored phone (false for null) can be handed to a sender. Every phone the API writes is E.164; a
 * phone stored before it was (migration 0012 could not read it) is kept as it was and fails
 * this test, so its deliveries are skipped as no_phone until it is fixed.
 */
export function sendablePhone (column: RawBuilder<unknown> = sql.ref<unknown>('l.phone')): RawBuilder<boolean> {
  return sql<boolean>`coalesce(${column} ~ '^\\+[1-9][0-9]{6,14}$', false)`
}
