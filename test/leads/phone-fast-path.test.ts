import fc from 'fast-check'
import { type CountryCode, getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js'
import examples from 'libphonenumber-js/mobile/examples'
import t from 'tap'
import { toE164 } from '../../src/leads/phone.js'

// toE164 decides phones already in E.164 without the parser where the answer cannot depend on
// which country of a shared calling code the number is in; this holds it to the parser's answer.
function byParser (text: string, region: string): string | undefined {
  const parsed = parsePhoneNumberFromString(text.trim(), { defaultCountry: region as CountryCode, extract: false })
  return parsed === undefined || parsed.ext !== undefined || !parsed.isPossible() ? undefined : parsed.number
}

// Every calling code with countries, the non-geographic ones, and a few that are none.
const CODES = [...new Set(getCountries().map(country => getCountryCallingCode(country))), '800', '808', '870', '881', '882', '883', '888', '979', '42', '99', '999']

t.test('the same answers as the parser, over every calling code and national numbers of any length', async t => {
  // National prefixes (0, 1, 8, ...) first are the cases where the parser strips digits.
  const national = fc.array(fc.oneof(fc.constantFrom('0', '1', '8'), fc.integer({ min: 0, max: 9 }).map(String)), { maxLength: 16 }).map(digits => digits.join(''))
  t.doesNotThrow(() => {
    fc.assert(fc.property(fc.constantFrom(...CODES), national, fc.constantFrom('US', 'GB', 'CA'), (code, digits, region) =>
      toE164(`+${code}${digits}`, region) === byParser(`+${code}${digits}`, region)), { numRuns: 20_000 })
  })
})

t.test('every country\'s example mobile number, and the cases where the country decides', async t => {
  const written = getCountries().flatMap(country => getExampleNumber(country, examples)?.number ?? [])
  // +1 with 7 digits is possible in Canada only; +44 with 7 digits in GB but not in JE; a leading
  // national prefix after the calling code; Canada's and the US's own numbers; +290 with 5 digits (St Helena, not Tristan da Cunha).
  written.push('+12345678', '+14165550123', '+12025550123', '+1 202 555 0123', ' +12025550123 ', '+441234567', '+4407946095800', '+610412345678', '+79161234567', '+78001234567', '+29080000')
  for (const text of written) t.equal(toE164(text, 'US'), byParser(text, 'US'), text)
  t.equal(toE164('+12025550123', 'US'), '+12025550123')
})
