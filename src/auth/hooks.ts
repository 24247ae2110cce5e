import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { serviceUnavailable, unauthorized } from '../http/problem.js'
import { clientIdForKeyHash } from '../clients/repository.js'
import { bearerToken, secretsEqual, tokenHashHex } from './secrets.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client; set on every route mounted under the client-key scope. */
    clientId: string
  }
}

/** onRequest hook for client routes: resolves the bearer key to its client or answers 401. */
export const authenticateClient: onRequestAsyncHookHandler = async function (request: FastifyRequest) {
  const token = bearerToken(request.headers.authorization)
  if (token === undefined) throw unauthorized()
  const cacheKey = tokenHashHex(token)
  const cache = this.ctx.apiKeys
  const cached = cache.get(cacheKey)
  if (cached !== undefined) { request.clientId = cached; return }
  const mark = cache.mark()
  const clientId = await clientIdForKeyHash(this.ctx.db, Buffer.from(cacheKey, 'hex'))
  if (clientId === undefined) throw unauthorized('the API key is unknown or revoked')
  cache.set(cacheKey, clientId, mark)
  request.clientId = clientId
}

/** An onRequest hook that accepts only `secret` (from config); unset → 503. */
export function requireSecret (secret: () => string | undefined, variable: string): onRequestAsyncHookHandler {
  return async function (request: FastifyRequest) {
    const expected = secret()
    if (expected === undefined) throw serviceUnavailable(`this endpoint is disabled: ${variable} is not configured`)
    const token = bearerToken(request.headers.authorization)
    if (token === undefined || !secretsEqual(token, expected)) throw unauthorized()
  }
}
