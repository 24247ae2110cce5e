import { parseArgs } from 'node:util'
import Value from 'typebox/value'
import { TickResult } from '../activation/schemas.js'

// `cli activate`: what the Kubernetes CronJob runs every minute. It calls the internal
// activation endpoint until nothing is due, so it needs the URL and CRON_SECRET, never a database.

export const ACTIVATE_PATH = '/internal/campaigns/activate-scheduled'

/** A mistake in the command line: the CLI prints the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface ActivateOptions {
  url: string
  maxCalls: number
  timeoutMs: number
}

function positiveInteger (flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`--${flag} must be a positive integer`)
  return Number(value)
}

export function parseActivateArgs (args: string[]): ActivateOptions {
  let values: { url?: string, 'max-calls'?: string, 'timeout-ms'?: string }
  try {
    ({ values } = parseArgs({ args, strict: true, allowPositionals: false, options: { url: { type: 'string' }, 'max-calls': { type: 'string' }, 'timeout-ms': { type: 'string' } } }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (values.url === undefined) throw new UsageError('activate needs --url <base URL of the internal listener>, e.g. http://campaign-service-internal:3001')
  let base: URL
  try {
    base = new URL(values.url)
  } catch {
    throw new UsageError('--url must be an absolute http(s) URL')
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError('--url must be an absolute http(s) URL')
  if (base.username !== '' || base.password !== '') throw new UsageError('--url must not carry credentials; the token comes from CRON_SECRET')
  const url = base.origin + base.pathname.replace(/\/+$/, '') + ACTIVATE_PATH
  return { url, maxCalls: positiveInteger('max-calls', values['max-calls'], 20), timeoutMs: positiveInteger('timeout-ms', values['timeout-ms'], 60000) }
}

async function callOnce (options: ActivateOptions, secret: string): Promise<{ status: number, result: TickResult }> {
  let response: Response
  let text: string
  try {
    response = await fetch(options.url, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(options.timeoutMs) })
    text = await response.text()
  } catch (error) {
    const err = error as Error & { cause?: { message?: string } }
    const reason = err.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (err.cause?.message ?? err.message)
    throw new Error(`POST ${options.url} failed: ${reason}`, { cause: error })
  }
  if (response.status < 200 || response.status > 299) {
    let detail = text.slice(0, 300)
    try {
      const problem = JSON.parse(text) as { title?: unknown, detail?: unknown }
      detail = [problem.title, problem.detail].filter(part => typeof part === 'string').join(': ') || detail
    } catch { /* not JSON: show the start of the body */ }
    throw new Error(`POST ${options.url} answered ${response.status}${detail !== '' ? ` (${detail})` : ''}`)
  }
  let body: unknown
  try { body = JSON.parse(text) } catch { body = undefined }
  if (!Value.Check(TickResult, body)) throw new Error(`POST ${options.url} answered ${response.status} with an unexpected body`)
  return { status: response.status, result: body }
}

/**
 * Calls the endpoint while campaigns remain due, at most `maxCalls` times, printing one JSON line
 * per call. Throws on a transport or HTTP failure, and at the end if any campaign failed.
 * Stops early when a call activated and expired nothing (what is left is being activated by another
 * caller, or failing): calling again at once would only repeat that.
 */
export async function runActivate (args: string[], cronSecret: string | undefined): Promise<void> {
  const options = parseActivateArgs(args)
  if (cronSecret === undefined) throw new Error('activate needs CRON_SECRET (the token of the internal activation endpoint)')
  // Whatever the server sends back is printed without the secret, should it ever echo it.
  const clean = (text: string): string => text.split(cronSecret).join('[redacted]')
  let failed = 0
  for (let call = 1; ; call++) {
    let answer: Awaited<ReturnType<typeof callOnce>>
    try {
      answer = await callOnce(options, cronSecret)
    } catch (error) {
      // No cause: only the redacted message may leave, never the error that may hold the secret.
      throw new Error(clean((error as Error).message)) // eslint-disable-line preserve-caught-error
    }
    const { result } = answer
    process.stdout.write(JSON.stringify({
      call,
      status: answer.status,
      activated: result.activated.length,
      enrolled: result.activated.reduce((sum, a) => sum + a.enrolled, 0),
      warnings: result.activated.filter(a => a.warning !== undefined).length,
      expired: result.expired.length,
      skipped: result.skipped.length,
      failed: result.failed.length,
      remaining: result.remaining,
      continued: result.continued.length,
      completed: result.completed.length,
      enrollmentsCompleted: result.enrollmentsCompleted
    }) + '\n')
    for (const f of result.failed) process.stderr.write(clean(`campaign ${f.campaignId} failed to activate: ${f.error}`) + '\n')
    failed += result.failed.length
    if (result.remaining === 0) break
    if (result.activated.length + result.expired.length === 0) {
      process.stderr.write(`no progress in call ${call}; ${result.remaining} due campaign(s) left to the next run\n`)
      break
    }
    if (call >= options.maxCalls) {
      process.stderr.write(`stopped after ${call} calls (--max-calls); ${result.remaining} due campaign(s) left to the next run\n`)
      break
    }
  }
  if (failed > 0) throw new Error(`${failed} campaign(s) failed to activate`)
}
