import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { HttpProblem } from '../http/problem.js'

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function parsesAsJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * Bodies are JSON only, strict UTF-8 (RFC 8259), through Fastify's prototype-poisoning-safe
 * parser; an empty application/json body (common for POST .../enroll and .../cancel) is no body.
 */
async function jsonBody (app: FastifyInstance): Promise<void> {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  // text/plain would reach validation as a string ("body must be object").
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    // Bytes that are not UTF-8 would otherwise be stored as U+FFFD, silently.
    let body: string
    try {
      body = STRICT_UTF8.decode(raw as Buffer)
    } catch {
      done(new HttpProblem(400, 'Bad Request', 'the request body is not valid UTF-8', { type: 'malformed-json' }), undefined)
      return
    }
    if (body.trim() === '') { done(null, undefined); return }
    void parseJson(request, body, (error, value) => {
      // Fastify refuses prototype-poisoning keys as "invalid JSON"; say what is really wrong.
      if (error !== null && parsesAsJson(body)) {
        done(new HttpProblem(400, 'Bad Request', 'the request body uses a forbidden key (__proto__ or constructor.prototype)', { type: 'forbidden-json-key' }), undefined)
      } else {
        done(error, value)
      }
    })
  })
}

export default fp(jsonBody, { name: 'json-body' })
