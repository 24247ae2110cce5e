import fc from 'fast-check'
import t from 'tap'
import { Temporal } from 'temporal-polyfill'
import { isInsideSendWindow, isTimeZone, nextSendTime, sendWindowErrors, timeZoneErrors, WEEKDAYS, type SendWindow } from '../../src/delivery/send-window.js'

// An oracle independent of the module's offset cache: Intl's own wall clock, per instant.
const formats = new Map<string, Intl.DateTimeFormat>()
function wallClock (at: number, zone: string): { weekday: string, ofDayMs: number } {
  let format = formats.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'short', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formats.set(zone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(at).map(part => [part.type, part.value]))
  const ofDayMs = ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 + ((at % 1000) + 1000) % 1000
  return { weekday: String(parts.weekday).toLowerCase(), ofDayMs }
}
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
function openAt (at: number, window: SendWindow, zone: string): boolean {
  const { weekday, ofDayMs } = wallClock(at, zone)
  return (window.days ?? WEEKDAYS).includes(weekday as never) && ofDayMs >= minutes(window.start) * 60_000 && ofDayMs < minutes(window.end) * 60_000
}

const iso = (date: Date) => date.toISOString()
const next = (due: string, window: SendWindow, lead?: string | null) => iso(nextSendTime(new Date(due), window, lead))

// Modern zones with whole-minute offsets: DST north and south, none, half and quarter hours,
// Lord Howe's 30-minute change, Samoa's skipped day (2011-12-30), Dublin's negative DST,
// Troll's 2-hour change, Havana's and (until 2019) São Paulo's changes at midnight.
const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Asia/Tokyo', 'Australia/Lord_Howe', 'Pacific/Apia', 'Europe/Dublin',
  'Antarctica/Troll', 'America/Havana', 'America/Sao_Paulo', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Kolkata']
const hhmm = (minute: number) => minute === 1440 ? '24:00' : `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`

const windowArb = fc.record({
  // Biased to the early hours, where the clocks change.
  start: fc.oneof(fc.integer({ min: 0, max: 240 }), fc.integer({ min: 0, max: 1439 })),
  length: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 1440 })),
  days: fc.option(fc.subarray([...WEEKDAYS], { minLength: 1 }), { nil: undefined }),
  timezone: fc.option(fc.constantFrom(...ZONES), { nil: undefined })
}).map(({ start, length, days, timezone }): SendWindow => ({
  start: hhmm(start),
  end: hhmm(Math.min(1440, start + length)),
  ...(days !== undefined ? { days } : {}),
  ...(timezone !== undefined ? { timezone } : {})
}))
const leadZoneArb = fc.option(fc.constantFrom(...ZONES), { nil: null })
const FROM = Date.UTC(2000, 0, 1)
const TO = Date.UTC(2050, 0, 1)
// Half the dues fall within a day and a half of one of the zone's clock changes.
const dueArb = (zone: string) => fc.tuple(fc.integer({ min: FROM, max: TO }), fc.boolean(), fc.integer({ min: -36 * 60, max: 36 * 60 }), fc.integer({ min: 0, max: 59_999 }))
  .map(([base, nearChange, minute, ms]) => {
    if (!nearChange) return base
    const change = Temporal.Instant.fromEpochMilliseconds(base).toZonedDateTimeISO(zone).getTimeZoneTransition('next')
    return change === null ? base : change.epochMilliseconds + minute * 60_000 + ms
  })
const caseArb = fc.tuple(windowArb, leadZoneArb).chain(([window, lead]) =>
  dueArb(lead ?? window.timezone ?? 'UTC').map(due => ({ window, lead, due })))

t.test('properties: never earlier, inside the window, the earliest such instant, idempotent', async () => {
  fc.assert(fc.property(caseArb, ({ window, lead, due }) => {
    const zone = lead ?? window.timezone ?? 'UTC'
    const result = nextSendTime(new Date(due), window, lead).getTime()
    if (result < due) return false
    if (!openAt(result, window, zone)) return false
    // Openings change only on whole local minutes in these zones, so checking `due` and every
    // whole minute before the result finds any earlier open instant.
    if (result > due && openAt(due, window, zone)) return false
    for (let at = Math.ceil(due / 60_000) * 60_000; at < result; at += 60_000) {
      if (openAt(at, window, zone)) return false
    }
    return nextSendTime(new Date(result), window, lead).getTime() === result
  }), { numRuns: 200 })
})

t.test('no window: the due time unchanged; a window that never opens or a bad date throws', async t => {
  const due = new Date('2026-03-08T06:00:00.123Z')
  t.equal(nextSendTime(due, null), due)
  t.equal(nextSendTime(due, undefined, 'Asia/Tokyo'), due)
  t.ok(isInsideSendWindow(due, null))
  t.ok(isInsideSendWindow(due, { start: '06:00', end: '06:01' }))
  t.notOk(isInsideSendWindow(due, { start: '06:00', end: '06:01' }, 'Asia/Tokyo'))
  t.throws(() => nextSendTime(due, { start: '10:00', end: '09:00' }), RangeError)
  t.throws(() => nextSendTime(new Date(NaN), { start: '09:00', end: '10:00' }), RangeError)
})

t.test('America/New_York in March: 02:00-03:00 does not exist', async t => {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z).
  t.equal(next('2026-03-08T06:00:00Z', { start: '02:30', end: '05:00', timezone: 'America/New_York' }), '2026-03-08T07:00:00.000Z', '02:30 moves to 03:00, the next local time that exists')
  t.equal(next('2026-03-08T06:00:00Z', { start: '02:00', end: '02:30', timezone: 'America/New_York' }), '2026-03-09T06:00:00.000Z', 'a window swallowed whole opens the next day')
  t.equal(next('2026-03-07T23:00:00Z', { start: '09:00', end: '17:00', timezone: 'America/New_York' }), '2026-03-08T13:00:00.000Z', '09:00 EDT, the new offset')
})

t.test('America/New_York in November: 01:00-02:00 happens twice', async t => {
  // 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST.
  const window = { start: '01:00', end: '01:30', timezone: 'America/New_York' }
  t.equal(next('2026-11-01T04:50:00Z', window), '2026-11-01T05:00:00.000Z', 'the first 01:00 (EDT)')
  t.equal(next('2026-11-01T05:10:00Z', window), '2026-11-01T05:10:00.000Z', 'inside the first pass: unchanged')
  t.equal(next('2026-11-01T05:40:00Z', window), '2026-11-01T06:00:00.000Z', 'after the first pass: the second 01:00 (EST)')
  t.equal(next('2026-11-01T06:40:00Z', window), '2026-11-02T06:00:00.000Z', 'after both: the next day')
  t.equal(next('2026-11-01T05:45:00Z', { ...window, start: '00:30' }), '2026-11-01T06:00:00.000Z', 'falling back re-opens a window without passing its start')
})

t.test('Europe/London: the spring gap and the autumn repeat', async t => {
  // 2026-03-29: 01:00 GMT becomes 02:00 BST. 2026-10-25: 02:00 BST (01:00Z) becomes 01:00 GMT.
  t.equal(next('2026-03-29T00:30:00Z', { start: '01:30', end: '03:00', timezone: 'Europe/London' }), '2026-03-29T01:00:00.000Z', '01:30 does not exist: 02:00 BST')
  t.equal(next('2026-03-29T00:30:00Z', { start: '01:00', end: '01:30', timezone: 'Europe/London' }), '2026-03-30T00:00:00.000Z', 'swallowed: 01:00 BST the next day')
  t.equal(next('2026-10-25T00:45:00Z', { start: '01:00', end: '01:30', timezone: 'Europe/London' }), '2026-10-25T01:00:00.000Z', 'the second 01:00 (GMT)')
  t.equal(next('2026-10-24T23:59:00Z', { start: '01:00', end: '01:30', timezone: 'Europe/London' }), '2026-10-25T00:00:00.000Z', 'the first 01:00 (BST)')
})

t.test('zones without daylight saving: Asia/Tokyo and UTC', async t => {
  t.equal(next('2026-03-08T10:00:00Z', { start: '09:00', end: '18:00', timezone: 'Asia/Tokyo' }), '2026-03-09T00:00:00.000Z', '19:00 JST: 09:00 JST tomorrow')
  t.equal(next('2026-03-08T08:59:59.999Z', { start: '09:00', end: '18:00', timezone: 'Asia/Tokyo' }), '2026-03-08T08:59:59.999Z', '17:59:59.999 JST is inside')
  t.equal(next('2026-03-08T09:00:00Z', { start: '09:00', end: '18:00', timezone: 'Asia/Tokyo' }), '2026-03-09T00:00:00.000Z', 'the end is exclusive')
  t.equal(next('2026-03-08T23:59:30Z', { start: '18:00', end: '24:00' }), '2026-03-08T23:59:30.000Z', '"24:00" keeps the last minute of the day (UTC default)')
  t.equal(next('2026-03-09T00:00:00Z', { start: '18:00', end: '24:00' }), '2026-03-09T18:00:00.000Z')
})

t.test('Australia/Lord_Howe moves its clocks by 30 minutes', async t => {
  // 2026-10-04: 02:00 (+10:30, 15:30Z the day before) becomes 02:30 (+11).
  t.equal(next('2026-10-03T15:00:00Z', { start: '02:10', end: '03:00', timezone: 'Australia/Lord_Howe' }), '2026-10-03T15:30:00.000Z', '02:10 does not exist: 02:30')
  t.equal(next('2026-10-03T15:00:00Z', { start: '02:00', end: '02:20', timezone: 'Australia/Lord_Howe' }), '2026-10-04T15:00:00.000Z', 'swallowed: 02:00 (+11) the next day')
  // 2026-04-05: 02:00 (+11, 15:00Z the day before) becomes 01:30 (+10:30).
  t.equal(next('2026-04-04T14:50:00Z', { start: '01:30', end: '01:45', timezone: 'Australia/Lord_Howe' }), '2026-04-04T15:00:00.000Z', 'the second 01:30')
})

t.test('days: a Monday-to-Friday window skips the weekend', async t => {
  const window: SendWindow = { start: '09:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], timezone: 'America/New_York' }
  t.equal(next('2026-11-20T22:30:00Z', window), '2026-11-23T14:00:00.000Z', 'Friday 17:30 → Monday 09:00')
  t.equal(next('2026-11-21T15:00:00Z', window), '2026-11-23T14:00:00.000Z', 'Saturday 10:00 → Monday 09:00')
  t.equal(next('2026-11-23T15:00:00Z', window), '2026-11-23T15:00:00.000Z', 'Monday 10:00 is inside')
  t.equal(next('2026-11-21T15:00:00Z', { ...window, days: ['sun'] }), '2026-11-22T14:00:00.000Z', 'Sunday only')
})

t.test("the lead's zone overrides the window's", async t => {
  const window: SendWindow = { start: '09:00', end: '17:00', timezone: 'Europe/London' }
  t.equal(next('2026-06-01T12:00:00Z', window), '2026-06-01T12:00:00.000Z', '13:00 in London: inside')
  t.equal(next('2026-06-01T12:00:00Z', window, 'Asia/Tokyo'), '2026-06-02T00:00:00.000Z', '21:00 in Tokyo: 09:00 Tokyo time')
  t.equal(next('2026-06-01T12:00:00Z', window, null), '2026-06-01T12:00:00.000Z', 'a null lead zone: the window\'s')
  t.equal(next('2026-06-01T12:00:00Z', window, 'Not/AZone'), '2026-06-01T12:00:00.000Z', 'an unknown lead zone (only from rows written around the API) is passed over')
})

t.test('isTimeZone: IANA names and aliases, not offsets or inventions', async t => {
  for (const name of ['UTC', 'America/New_York', 'Australia/Lord_Howe', 'US/Eastern', 'Asia/Calcutta', 'Etc/GMT+5', 'europe/london']) t.ok(isTimeZone(name), name)
  for (const name of ['', 'Foo/Bar', '+05:00', '-0500', '05:00', 'America/New_York ', 'x'.repeat(65)]) t.notOk(isTimeZone(name), JSON.stringify(name))
})

t.test('sendWindowErrors name the field', async t => {
  t.same(sendWindowErrors({ start: '09:00', end: '17:00', timezone: 'Europe/Paris' }), [])
  t.same(sendWindowErrors(undefined), [])
  t.match(sendWindowErrors({ start: '17:00', end: '09:00' }), [{ path: 'sendWindow/end', message: /later than start/ }])
  t.match(sendWindowErrors({ start: '09:00', end: '09:00' }), [{ path: 'sendWindow/end' }])
  t.match(sendWindowErrors({ start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }), [{ path: 'sendWindow/timezone', message: /IANA/ }])
  t.match(sendWindowErrors({ start: '09:00', end: '17:00', timezone: 'Mars/Olympus' }, 'window'), [{ path: 'window/timezone' }])
  t.same(timeZoneErrors(null, 'timezone'), [])
  t.match(timeZoneErrors('Nowhere', 'leads/3/timezone'), [{ path: 'leads/3/timezone' }])
})
