import { hash, randomBytes, timingSafeEqual } from 'node:crypto'

const KEY_PREFIX = 'cs_'

/** A new client API key: the token is shown once; only its SHA-256 hash is stored. */
export function generateApiKey (): { token: string, hash: Buffer, prefix: string } {
  const token = KEY_PREFIX + randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token), prefix: token.slice(0, 10) }
}

// API keys carry 256 bits of entropy, so a fast hash is enough; no salt is needed to resist guessing.
export function hashToken (token: string): Buffer {
  return hash('sha256', token, 'buffer')
}

/** hashToken as hex, as the key cache and the change notifications name a key (one-shot: no Hash object per request). */
export function tokenHashHex (token: string): string {
  return hash('sha256', token, 'hex')
}

/**
 * Constant-time comparison, also when the lengths differ: both sides are hashed to the same
 * length first, so neither the content nor the length of the secret leaks through timing.
 */
export function secretsEqual (given: string, expected: string): boolean {
  return timingSafeEqual(hashToken(given), hashToken(expected))
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}
