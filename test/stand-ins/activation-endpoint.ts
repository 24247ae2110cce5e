import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string | undefined
  url: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

/** What the stand-in answers to one call; `hang` never answers (to exercise the client's timeout). */
export type ScriptedAnswer = { status: number, body: unknown, contentType?: string } | 'hang'

/**
 * The internal activation endpoint, served on 127.0.0.1 with a random port: answers the calls in
 * order from `answers` (the last one repeats) and records every request it receives.
 */
export async function startActivationStandIn (answers: ScriptedAnswer[]): Promise<{ baseUrl: string, requests: RecordedRequest[], close: () => Promise<void> }> {
  const requests: RecordedRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      const answer = answers[Math.min(requests.length, answers.length) - 1]
      if (answer === undefined || answer === 'hang') return
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
      response.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' })
      response.end(text)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** A campaign id for the stand-in's answers: a UUID whose last block carries `n`. */
export function campaignId (n: number): string {
  return `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`
}

/** An activation result with `activated` campaigns (ids 1..N) and the given remaining count. */
export function activationResult (activated: number, remaining: number, extra: Partial<Record<'expired' | 'skipped' | 'completed', string[]>> & { failed?: Array<{ campaignId: string, error: string }> } = {}): object {
  return {
    activated: Array.from({ length: activated }, (_, i) => ({ campaignId: campaignId(i + 1), enrolled: 10, totalMatching: 10 })),
    expired: extra.expired ?? [],
    skipped: extra.skipped ?? [],
    failed: extra.failed ?? [],
    remaining,
    continued: [],
    completed: extra.completed ?? [],
    enrollmentsCompleted: 0
  }
}
