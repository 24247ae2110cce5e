import fc from 'fast-check'
import t from 'tap'
import { smsLength } from '../../src/messages/sms-segments.js'

const repeat = (text: string, times: number) => text.repeat(times)

t.test('GSM-7: 160 septets fit one segment, 161 need two parts of 153', async t => {
  t.same(smsLength(repeat('a', 160)), { encoding: 'GSM-7', characters: 160, units: 160, segments: 1 })
  t.same(smsLength(repeat('a', 161)), { encoding: 'GSM-7', characters: 161, units: 161, segments: 2 })
  t.equal(smsLength(repeat('a', 306)).segments, 2, '2 × 153')
  t.equal(smsLength(repeat('a', 307)).segments, 3)
  t.same(smsLength(''), { encoding: 'GSM-7', characters: 0, units: 0, segments: 0 })
})

t.test('GSM-7 extension characters count twice', async t => {
  for (const character of ['^', '{', '}', '\\', '[', '~', ']', '|', '€']) {
    t.same(smsLength(character), { encoding: 'GSM-7', characters: 1, units: 2, segments: 1 }, character)
  }
  t.equal(smsLength(repeat('€', 80)).segments, 1, '80 € = 160 septets')
  t.same(smsLength(repeat('a', 159) + '€'), { encoding: 'GSM-7', characters: 160, units: 161, segments: 2 }, '160 characters but 161 septets')
  // 152 + [2] + 152: a plain division says 306/153 = 2, but the € cannot straddle parts 1 and 2.
  t.equal(smsLength(repeat('a', 152) + '€' + repeat('a', 152)).segments, 3)
})

t.test('the GSM basic alphabet includes its accents and symbols', async t => {
  const text = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà'
  t.match(smsLength(text), { encoding: 'GSM-7', units: Array.from(text).length })
  t.equal(smsLength('ç').encoding, 'UCS-2', 'lower-case ç is not in GSM 03.38 (only Ç)')
  t.equal(smsLength('it’s').encoding, 'UCS-2', 'a curly apostrophe forces UCS-2')
})

t.test('UCS-2: 70 units fit one segment, 71 need parts of 67', async t => {
  t.same(smsLength(repeat('ж', 70)), { encoding: 'UCS-2', characters: 70, units: 70, segments: 1 })
  t.same(smsLength(repeat('ж', 71)), { encoding: 'UCS-2', characters: 71, units: 71, segments: 2 })
  t.equal(smsLength(repeat('ж', 134)).segments, 2, '2 × 67')
  t.equal(smsLength(repeat('ж', 135)).segments, 3)
  t.same(smsLength(repeat('a', 69) + 'ж'), { encoding: 'UCS-2', characters: 70, units: 70, segments: 1 }, 'one non-GSM character switches the whole text')
  t.equal(smsLength(repeat('a', 70) + 'ж').segments, 2)
})

t.test('emoji are surrogate pairs: two UCS-2 units, never split across parts', async t => {
  t.same(smsLength('😀'), { encoding: 'UCS-2', characters: 1, units: 2, segments: 1 })
  t.same(smsLength(repeat('😀', 35)), { encoding: 'UCS-2', characters: 35, units: 70, segments: 1 })
  t.same(smsLength(repeat('😀', 36)), { encoding: 'UCS-2', characters: 36, units: 72, segments: 2 })
  t.equal(smsLength(repeat('ж', 66) + '😀' + repeat('ж', 66)).segments, 3, '134 units, but the pair cannot straddle')
  t.equal(smsLength('👍🏽').characters, 2, 'a skin-tone emoji is two code points')
})

t.test('appending text never reduces the segment count', async t => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 50 }), (a, b) => {
    const before = smsLength(a)
    const after = smsLength(a + b)
    // Switching encoding can only make parts smaller, so the count still grows or stays.
    return after.segments >= before.segments && (after.units <= (after.encoding === 'GSM-7' ? 160 : 70)) === (after.segments <= 1)
  }), { numRuns: 500 })
  t.pass('property holds')
})
