import Airtable from 'airtable'
import type { Config } from '../config.js'
import { withDeadline } from '../deadline.js'

export interface AirtableRecordUpdate {
  id: string
  fields: Record<string, string | boolean>
}

export interface AirtableWriter {
  /** One PATCH of at most 10 records; throws AirtableWriteError. */
  update: (records: AirtableRecordUpdate[]) => Promise<void>
}

/**
 * A failed write, classified; `message` is safe to show the client (no URL, no key).
 * `permanent`: Airtable refused the records themselves (an unknown record or field, a bad
 * value): the same request would fail again, so retrying it is pointless.
 * `configuration`: Airtable refused the client's settings (the key, the base or the table):
 * no record of the batch can sync until an operator changes them.
 */
export class AirtableWriteError extends Error {
  override name = 'AirtableWriteError'
  constructor (message: string, readonly rateLimited: boolean, readonly permanent = false, readonly configuration = false) {
    super(message)
  }
}

/** Answers that say "these records or fields are wrong", not "try later". */
const PERMANENT_STATUSES = new Set([404, 422])
const SETTINGS_HINT = 'check the key, base and table set with PUT /v1/admin/clients/{clientId}/airtable'

/**
 * 401 (key unknown) and 403 (key without access to the base) are the settings' fault; so is a
 * 404 that names no record (base or table not found: airtable.js calls every 404 NOT_FOUND,
 * and Airtable's message for a missing record mentions the record).
 */
function configurationProblem (status: number, message: string): string | undefined {
  if (status === 401) return 'the API key was refused'
  if (status === 403) return 'the API key may not write to this base'
  if (status === 404 && !/\brecord/i.test(message)) return 'the base or table was not found'
  return undefined
}

function classify (error: unknown, apiKey: string): AirtableWriteError {
  const e = error as { statusCode?: unknown, error?: unknown, message?: unknown, name?: unknown, type?: unknown }
  if (e.statusCode === 429) return new AirtableWriteError('Airtable answered 429 (rate limited)', true)
  if (typeof e.statusCode === 'number') {
    // Airtable's own words name the record or field at fault (e.g. Unknown field name: "Status");
    // never the key, but a key echoed back would still not get through.
    const text = typeof e.message === 'string' ? e.message.split(apiKey).join('[redacted]').slice(0, 300) : ''
    const said = text !== '' ? `: ${text}` : ''
    const answered = `Airtable answered ${e.statusCode}${typeof e.error === 'string' ? ` (${e.error})` : ''}`
    const problem = configurationProblem(e.statusCode, text)
    if (problem !== undefined) return new AirtableWriteError(`configuration: ${problem} (${answered}${said}); ${SETTINGS_HINT}`, false, true, true)
    return new AirtableWriteError(`${answered}${said}`, false, PERMANENT_STATUSES.has(e.statusCode))
  }
  // airtable.js aborts the request on its requestTimeout (a CONNECTION_ERROR saying so); our own
  // deadline covers the body; other errors are network failures.
  if (e.name === 'AbortError' || e.type === 'aborted' || (e.error === 'CONNECTION_ERROR' && typeof e.message === 'string' && /abort/i.test(e.message))) {
    return new AirtableWriteError('Airtable did not answer in time', false)
  }
  return new AirtableWriteError('could not reach Airtable', false)
}

/**
 * The official SDK for one client's base and key (made per attempt: settings may change between
 * attempts), told not to retry 429s itself (the job queue owns retries and the 30 s
 * pause) and to give up on a request after AIRTABLE_TIMEOUT_MS.
 *
 * The PATCH goes through base.makeRequest rather than table.update: with a 200 whose body is not
 * JSON (a cut connection, a proxy's page) table.update throws inside airtable.js's own promise
 * chain, an unhandled rejection that ends the process; makeRequest rejects instead. airtable.js
 * stops its timer once the headers arrive, so a body that never ends is bounded here as well.
 */
export function createAirtableWriter (config: Config, settings: { apiKey: string, baseId: string, table: string }): AirtableWriter {
  const base = new Airtable({
    apiKey: settings.apiKey,
    endpointUrl: config.AIRTABLE_ENDPOINT_URL,
    noRetryIfRateLimited: true,
    requestTimeout: config.AIRTABLE_TIMEOUT_MS
  }).base(settings.baseId)
  const path = `/${encodeURIComponent(settings.table)}`
  return {
    async update (records) {
      try {
        // typecast: Airtable converts the ISO date and creates missing single-select options.
        await withDeadline(base.makeRequest({ method: 'PATCH', path, body: { records, typecast: true } }), config.AIRTABLE_TIMEOUT_MS,
          () => Object.assign(new Error('deadline passed'), { name: 'AbortError' }))
      } catch (error) {
        throw classify(error, settings.apiKey)
      }
    }
  }
}
