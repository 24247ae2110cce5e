import { type CountryCode, Metadata, parsePhoneNumberFromString } from 'libphonenumber-js'
import { sql, type RawBuilder } from 'kysely'
import type { FieldError } from '../http/problem.js'

export const PHONE_MESSAGE = 'must be a possible phone number: E.164 (+12133734253) or a national number of the default region (null: no phone)'

/**
 * The E.164 form of a phone written in E.164 or as a national number of `region`, or undefined
 * when it is not a possible number. The whole value must be the number (no text around it, no
 * extension: an SMS cannot reach one); spaces, dots, dashes and brackets are fine.
 */
export function toE164 (value: string, region: string): string | undefined {
  const text = value.trim()
  const e164 = E164_SHAPE.test(text) ? alreadyE164(text) : UNDECIDED
  return e164 === UNDECIDED ? parsed(text, region) : e164
}

function parsed (text: string, region: string): string | undefined {
  const number = parsePhoneNumberFromString(text, { defaultCountry: region as CountryCode, extract: false })
  if (number === undefined || number.ext !== undefined || !number.isPossible()) return undefined
  return number.number
}

// Parsing costs ~10-20 µs a number (most of it in finding which of the countries sharing a
// calling code the number belongs to), the bulk of an import's CPU. A phone already written in
// E.164 (a CRM's usual form) is decided from the library's own metadata in well under a µs when
// the answer cannot depend on that country: no national prefix to strip after the calling code,
// and its length possible in every country of the calling code, or in none. Anything else goes
// through the parser; test/leads/phone-fast-path.test.ts holds the two to the same answers.
const E164_SHAPE = /^\+[1-9]\d{6,14}$/
const UNDECIDED = Symbol('undecided')

interface CallingCode {
  /** National prefixes (for parsing) of its countries: a national number starting with one goes to the parser. */
  prefixes: RegExp[]
  /** National-number lengths possible in every country of the calling code. */
  everywhere: Set<number>
  /** ... in at least one of them. */
  somewhere: Set<number>
}

// The runtime Metadata class has more than its typings say; these are the methods the parser itself uses.
interface NumberingPlan { possibleLengths: () => number[] | undefined, nationalPrefixForParsing: () => string | undefined }
interface RuntimeMetadata {
  hasCallingCode: (callingCode: string) => boolean
  getCountryCodesForCallingCode: (callingCode: string) => string[] | undefined
  selectNumberingPlan: (country: string) => void
  numberingPlan: NumberingPlan
}
const metadata = new Metadata() as unknown as RuntimeMetadata
const callingCodes = new Map<string, CallingCode | undefined>()

/** What the fast path needs of a calling code; undefined (the parser decides) for a non-geographic one or one without lengths. */
function callingCode (code: string): CallingCode | undefined {
  if (callingCodes.has(code)) return callingCodes.get(code)
  let info: CallingCode | undefined
  const countries = metadata.getCountryCodesForCallingCode(code)
  if (countries !== undefined && countries.length > 0) {
    const plans = countries.map(country => {
      metadata.selectNumberingPlan(country)
      const prefix = metadata.numberingPlan.nationalPrefixForParsing()
      return { lengths: metadata.numberingPlan.possibleLengths(), prefix: prefix === undefined || prefix === '' ? undefined : prefix }
    })
    if (plans.every(plan => plan.lengths !== undefined && plan.lengths.length > 0)) {
      const lengths = plans.map(plan => new Set(plan.lengths))
      info = {
        prefixes: [...new Set(plans.flatMap(plan => plan.prefix === undefined ? [] : [plan.prefix]))].map(prefix => new RegExp(`^(?:${prefix})`)),
        everywhere: new Set([...(lengths[0] ?? [])].filter(length => lengths.every(set => set.has(length)))),
        somewhere: new Set(lengths.flatMap(set => [...set]))
      }
    }
  }
  callingCodes.set(code, info)
  return info
}

/** The E.164 answer for `+` and digits, or UNDECIDED where only the parser can tell. */
function alreadyE164 (text: string): string | undefined | typeof UNDECIDED {
  // The parser takes the shortest leading 1-3 digits that are a calling code.
  for (let end = 2; end <= 4; end++) {
    const code = text.slice(1, end)
    if (!metadata.hasCallingCode(code)) continue
    const info = callingCode(code)
    const national = text.slice(end)
    if (info === undefined || info.prefixes.some(prefix => prefix.test(national))) return UNDECIDED
    if (info.everywhere.has(national.length)) return text
    return info.somewhere.has(national.length) ? UNDECIDED : undefined
  }
  return UNDECIDED
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
