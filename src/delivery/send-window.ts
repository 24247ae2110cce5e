import Type, { type Static } from 'typebox'
import { component } from '../http/openapi.js'
import type { FieldError } from '../http/problem.js'
import { StringEnum } from '../http/schemas.js'
import { isTimeZone, zoneOffsets, type OffsetSpan } from './time-zones.js'

export { isTimeZone } from './time-zones.js'

// A campaign's send window: the local hours (and weekdays) in which its messages may go out,
// read in the lead's own time zone when it has one, else the window's, else UTC.

const HH_MM = '^([01][0-9]|2[0-3]):[0-5][0-9]$'
// "24:00" closes the window at the end of the day, so "18:00"-"24:00" includes 23:59:59.
const HH_MM_OR_24 = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export const Weekday = StringEnum(WEEKDAYS)

const timeZoneName = (description: string) => Type.String({ minLength: 1, maxLength: 64, description })
/** An IANA time-zone name; whether the runtime knows it is checked by timeZoneErrors. */
export const TimeZone = timeZoneName('an IANA time-zone name, e.g. "America/New_York"')

export const SendWindow = component('SendWindow', Type.Object({
  start: Type.String({ pattern: HH_MM, maxLength: 5, description: 'local opening time "HH:MM", 00:00..23:59, inclusive' }),
  end: Type.String({ pattern: HH_MM_OR_24, maxLength: 5, description: 'local closing time "HH:MM", exclusive, later than start; "24:00" is the end of the day' }),
  days: Type.Optional(Type.Array(Weekday, { minItems: 1, maxItems: 7, uniqueItems: true, description: 'local weekdays the window opens on; default every day' })),
  timezone: Type.Optional(timeZoneName('IANA name the window is read in (default "UTC"); a lead\'s own timezone takes precedence'))
}, {
  additionalProperties: false,
  description: 'A due time outside the window moves to its next opening. A local time skipped by a daylight-saving change moves forward to the first one that exists.',
  examples: [{ start: '09:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], timezone: 'America/New_York' }]
}))
export type SendWindow = Static<typeof SendWindow>

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** Rules a schema cannot express, each naming its field: a known zone, and start before end. */
export function sendWindowErrors (window: SendWindow | null | undefined, prefix = 'sendWindow'): FieldError[] {
  if (window == null) return []
  const errors: FieldError[] = []
  if (minutesOf(window.start) >= minutesOf(window.end)) errors.push({ path: `${prefix}/end`, message: `must be later than start (${window.start})` })
  errors.push(...timeZoneErrors(window.timezone, `${prefix}/timezone`))
  return errors
}

export function timeZoneErrors (zone: string | null | undefined, path: string): FieldError[] {
  return zone == null || isTimeZone(zone) ? [] : [{ path, message: 'is not a known IANA time-zone name (e.g. "America/New_York", "Europe/London", "UTC")' }]
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
// Temporal bounds offsets to under ±24 h (real ones stay within ±14 h): every instant showing a
// given local time lies within this much of it.
const MAX_OFFSET = 24 * HOUR
// Any allowed weekday comes round within 7 days; a window a clock change swallows whole (02:00-02:30
// on the day of a 1-hour gap) opens a week later.
const SEARCH_DAYS = 22

interface Window {
  offsets: ReturnType<typeof zoneOffsets>
  startMs: number
  endMs: number
  days: boolean[] // by weekday, Monday first
}

/** The zone a window is read in: the lead's, else the window's, else UTC (unknown names, only possible in rows written around the API, are passed over). */
function zoneFor (window: SendWindow, leadTimeZone: string | null | undefined): string {
  if (leadTimeZone != null && isTimeZone(leadTimeZone)) return leadTimeZone
  if (window.timezone !== undefined && isTimeZone(window.timezone)) return window.timezone
  return 'UTC'
}

function compile (window: SendWindow, leadTimeZone: string | null | undefined): Window {
  const days = window.days === undefined ? WEEKDAYS.map(() => true) : WEEKDAYS.map(day => window.days?.includes(day) === true)
  return { offsets: zoneOffsets(zoneFor(window, leadTimeZone)), startMs: minutesOf(window.start) * MINUTE, endMs: minutesOf(window.end) * MINUTE, days }
}

/** Day 0 (1970-01-01) was a Thursday; Monday is 0. */
const weekdayOf = (localDay: number): number => ((localDay + 3) % 7 + 7) % 7

/** Wall-clock time at `epochMs`, as milliseconds since 1970-01-01T00:00 local. */
const localOf = (w: Window, epochMs: number): number => epochMs + w.offsets.spanAt(epochMs).offsetMs

function inside (w: Window, epochMs: number): boolean {
  const local = localOf(w, epochMs)
  const day = Math.floor(local / DAY)
  const ofDay = local - day * DAY
  return w.days[weekdayOf(day)] === true && ofDay >= w.startMs && ofDay < w.endMs
}

/** The instants whose wall clock shows `local`: one, two when the clock falls back over it (earlier first), none when it springs forward over it. */
function instantsShowing (w: Window, local: number): number[] {
  const found: number[] = []
  for (let span: OffsetSpan = w.offsets.spanAt(local - MAX_OFFSET); ; span = w.offsets.spanAt(span.end)) {
    const candidate = local - span.offsetMs
    if (candidate >= span.start && candidate < span.end) found.push(candidate)
    if (span.end > local + MAX_OFFSET) return found
  }
}

/** Whether `at` lies inside the window (read as nextSendTime reads it). A null window is always open. */
export function isInsideSendWindow (at: Date, window: SendWindow | null | undefined, leadTimeZone?: string | null): boolean {
  return window == null || inside(compile(window, leadTimeZone), at.getTime())
}

/**
 * The earliest instant >= `due` that lies inside the window, read in `leadTimeZone` when given,
 * else window.timezone ?? 'UTC'. null window → due unchanged (also when due is already inside).
 * Throws RangeError for an invalid `due`, or a window that never opens (start >= end: refused by
 * sendWindowErrors, so only in data written around the API).
 */
export function nextSendTime (due: Date, window: SendWindow | null | undefined, leadTimeZone?: string | null): Date {
  if (window == null) return due
  const from = due.getTime()
  if (Number.isNaN(from)) throw new RangeError('nextSendTime: due is an invalid Date')
  const w = compile(window, leadTimeZone)
  if (inside(w, from)) return due
  // The window opens when the clock passes `start` on an allowed day. Starting a day early
  // covers zones that fall back across midnight into the previous local day.
  let best = Infinity
  const firstDay = Math.floor(localOf(w, from) / DAY) - 1
  for (let day = firstDay; day <= firstDay + SEARCH_DAYS && best === Infinity; day++) {
    if (w.days[weekdayOf(day)] !== true) continue
    for (const at of instantsShowing(w, day * DAY + w.startMs)) {
      if (at >= from && at < best && inside(w, at)) best = at
    }
  }
  // A clock change can also open the window without the clock showing `start`: springing from
  // 02:00 to 03:00 opens a 02:30-05:00 window at 03:00 (a local time that does not exist moves
  // forward to the first that does), and falling back from 01:59 to 01:00 re-opens a 00:30-01:30
  // window. The first such change before `best` wins.
  const horizon = Math.min(best, from + (SEARCH_DAYS + 2) * DAY)
  for (let span = w.offsets.spanAt(from); span.end < horizon; span = w.offsets.spanAt(span.end)) {
    if (inside(w, span.end)) return new Date(span.end)
  }
  if (best === Infinity) throw new RangeError(`nextSendTime: the window ${window.start}-${window.end} does not open within ${SEARCH_DAYS} days in ${w.offsets.zone}`)
  return new Date(best)
}
