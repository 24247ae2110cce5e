import Airtable from 'airtable'
import type { Config } from '../config.js'
import { withDeadline } from '../deadline.js'

export interface AirtableRecordUpdate {
  id: string
  fields: Record<string, string>
}

export interface AirtableWriter {
  /** One PATCH of at most 10 records; throws AirtableWriteError. */
  update: (records: AirtableRecordUpdate[]) => Promise<void>
}

/**
 * A failed write, classified; `message` is safe to show the client (no URL, no key).
 * `permanent`: Airtable refused the records themselves (an unknown record or field, a bad
 * value): the same request would fail again, so retrying it is pointless.
 */
export class AirtableWriteError extends Error {
  override name = 'AirtableWriteError'
  constructor (message: string, readonly rateLimited: boolean, readonly permanent = false) {
    super(message)
  }
}

/** Answers that say "these records or fields are wrong", not "try later". */
const PERMANENT_STATUSES = new Set([404, 422])

function classify (error: unknown): AirtableWriteError {
  const e = error as { statusCode?: unknown, error?: unknown, message?: unknown, name?: unknown, type?: unknown }
  if (e.statusCode === 429) return new AirtableWriteError('Airtable answered 429 (rate limited)', true)
  if (typeof e.statusCode === 'number') {
    // Airtable's own words name the record or field at fault (e.g. Unknown field name: "Status").
    const said = typeof e.message === 'string' && e.message !== '' ? `: ${e.message.slice(0, 300)}` : ''
    return new AirtableWriteError(`Airtable answered ${e.statusCode}${typeof e.error === 'string' ? ` (${e.error})` : ''}${said}`, false, PERMANENT_STATUSES.has(e.statusCode))
  }
  // airtable.js aborts the request on its requestTimeout (a CONNECTION_ERROR saying so); our own
  // deadline covers the body; other errors are network failures.
  if (e.name === 'AbortError' || e.type === 'aborted' || (e.error === 'CONNECTION_ERROR' && typeof e.message === 'string' && /abort/i.test(e.message))) {
    return new AirtableWriteError('Airtable did not answer in time', false)
  }
  return new AirtableWriteError('could not reach Airtable', false)
}

/**
 * The official SDK, told not to retry 429s itself (the job queue owns retries and the 30 s
 * pause) and to give up on a request after AIRTABLE_TIMEOUT_MS.
 *
 * The PATCH goes through base.makeRequest rather than table.update: with a 200 whose body is not
 * JSON (a cut connection, a proxy's page) table.update throws inside airtable.js's own promise
 * chain, an unhandled rejection that ends the process; makeRequest rejects instead. airtable.js
 * stops its timer once the headers arrive, so a body that never ends is bounded here as well.
 */
export function createAirtableWriter (config: Config): AirtableWriter {
  if (config.AIRTABLE_API_KEY === undefined || config.AIRTABLE_BASE_ID === undefined) throw new Error('Airtable is not configured')
  const base = new Airtable({
    apiKey: config.AIRTABLE_API_KEY,
    endpointUrl: config.AIRTABLE_ENDPOINT_URL,
    noRetryIfRateLimited: true,
    requestTimeout: config.AIRTABLE_TIMEOUT_MS
  }).base(config.AIRTABLE_BASE_ID)
  const path = `/${encodeURIComponent(config.AIRTABLE_TABLE)}`
  return {
    async update (records) {
      try {
        // typecast: Airtable converts the ISO date and creates missing single-select options.
        await withDeadline(base.makeRequest({ method: 'PATCH', path, body: { records, typecast: true } }), config.AIRTABLE_TIMEOUT_MS,
          () => Object.assign(new Error('deadline passed'), { name: 'AbortError' }))
      } catch (error) {
        throw classify(error)
      }
    }
  }
}
