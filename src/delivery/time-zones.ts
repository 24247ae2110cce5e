import { Temporal } from 'temporal-polyfill'

// UTC offsets of IANA zones, read from the runtime's time-zone data through Temporal, never from
// a table of our own. Asking Temporal per instant costs ~10-20 µs; a send-window pass over 5000
// rows asks several times per row. So each answer is kept as the span between two transitions
// (the offset is constant across it) and later instants in that span are plain arithmetic.

/** A span [start, end) of epoch milliseconds during which the zone's offset is `offsetMs`. */
export interface OffsetSpan {
  start: number
  end: number
  offsetMs: number
}

const MAX_SPANS_PER_ZONE = 2000 // ~1000 years of twice-yearly changes: far more than any batch touches

class ZoneOffsets {
  private readonly spans: OffsetSpan[] = [] // sorted by start, never overlapping
  private last: OffsetSpan | undefined

  constructor (readonly zone: string) {}

  spanAt (epochMs: number): OffsetSpan {
    const last = this.last
    if (last !== undefined && epochMs >= last.start && epochMs < last.end) return last
    const found = this.search(epochMs) ?? this.learn(epochMs)
    this.last = found
    return found
  }

  private search (epochMs: number): OffsetSpan | undefined {
    let low = 0
    let high = this.spans.length - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const span = this.spans[middle] as OffsetSpan
      if (epochMs < span.start) high = middle - 1
      else if (epochMs >= span.end) low = middle + 1
      else return span
    }
    return undefined
  }

  private learn (epochMs: number): OffsetSpan {
    const here = Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(this.zone)
    // 'previous' is strictly before its argument: asked from epochMs + 1 it may return epochMs itself.
    const previous = Temporal.Instant.fromEpochMilliseconds(epochMs + 1).toZonedDateTimeISO(this.zone).getTimeZoneTransition('previous')
    const next = here.getTimeZoneTransition('next')
    const span: OffsetSpan = {
      start: previous?.epochMilliseconds ?? -Infinity,
      end: next?.epochMilliseconds ?? Infinity,
      offsetMs: Math.round(here.offsetNanoseconds / 1e6)
    }
    if (this.spans.length >= MAX_SPANS_PER_ZONE) this.spans.length = 0
    const at = this.spans.findIndex(other => other.start > span.start)
    this.spans.splice(at === -1 ? this.spans.length : at, 0, span)
    return span
  }
}

const zones = new Map<string, ZoneOffsets>()

/** The offset data of a zone; throws RangeError for a name the runtime does not know. */
export function zoneOffsets (zone: string): ZoneOffsets {
  let offsets = zones.get(zone)
  if (offsets === undefined) {
    if (!isTimeZone(zone)) throw new RangeError(`unknown time zone: ${zone}`)
    offsets = new ZoneOffsets(zone)
    zones.set(zone, offsets)
  }
  return offsets
}

const known = new Set<string>()
// Intl also takes offsets ("+05:00"), which are no IANA names and would never follow a change of law.
const OFFSET_LIKE = /^[+\-\u2212\d]/

/**
 * Whether `name` is an IANA time-zone name this runtime knows ("Europe/London", "UTC", aliases
 * such as "US/Eastern"; names are matched case-insensitively, like Intl does). Offsets are not.
 * Only known names are remembered, so a flood of bad names cannot grow the cache.
 */
export function isTimeZone (name: string): boolean {
  if (known.has(name)) return true
  if (name.length === 0 || name.length > 64 || OFFSET_LIKE.test(name)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    Temporal.Now.instant().toZonedDateTimeISO(name) // both libraries must take it
  } catch {
    return false
  }
  known.add(name)
  return true
}
