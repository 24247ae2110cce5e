// SMS length maths (3GPP TS 23.038 / 23.040). A message that fits one segment carries 160
// GSM-7 septets or 70 UCS-2 units; a longer one is split into parts whose user-data header
// leaves 153 septets or 67 units each. Phones never split an escape sequence (an extension
// character) or a surrogate pair across parts, so parts are packed whole-character by
// whole-character, which can need one more part than a plain division.

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export interface SmsLength {
  encoding: SmsEncoding
  /** Unicode code points, what a reader counts. */
  characters: number
  /** Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2). */
  units: number
  segments: number
}

// The GSM 03.38 default alphabet, without ESC (0x1B), which only introduces the extension table.
const GSM_BASIC = new Set(Array.from(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
))
// The extension table: each is sent as ESC + character, two septets.
const GSM_EXTENSION = new Set(Array.from('^{}\\[~]|€\f'))

const LIMITS: Record<SmsEncoding, { single: number, part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 }
}

/** The units each character costs, or undefined when the text needs UCS-2. */
function gsmCosts (characters: string[]): number[] | undefined {
  const costs: number[] = []
  for (const character of characters) {
    if (GSM_BASIC.has(character)) costs.push(1)
    else if (GSM_EXTENSION.has(character)) costs.push(2)
    else return undefined
  }
  return costs
}

function countParts (costs: number[], capacity: number): number {
  let parts = 1
  let used = 0
  for (const cost of costs) {
    if (used + cost > capacity) {
      parts++
      used = 0
    }
    used += cost
  }
  return parts
}

/** Encoding, length and segment count of `text` as an SMS. The empty text needs 0 segments. */
export function smsLength (text: string): SmsLength {
  const characters = Array.from(text)
  const gsm = gsmCosts(characters)
  const encoding: SmsEncoding = gsm !== undefined ? 'GSM-7' : 'UCS-2'
  // A code point above U+FFFF is a surrogate pair: two UCS-2 (UTF-16) units.
  const costs = gsm ?? characters.map(character => character.length)
  const units = costs.reduce((sum, cost) => sum + cost, 0)
  const { single, part } = LIMITS[encoding]
  const segments = units === 0 ? 0 : units <= single ? 1 : countParts(costs, part)
  return { encoding, characters: characters.length, units, segments }
}
