import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

// Third-party credentials at rest: AES-256-GCM under SECRETS_KEY. Each ciphertext is stored
// with the id of the key that made it, so a rotation can read old rows under
// SECRETS_KEY_PREVIOUS while `npm run cli -- reencrypt-secrets` moves them to the current key.

const IV_BYTES = 12
const TAG_BYTES = 16

/** Base64 that decodes to exactly 32 bytes (an AES-256 key). */
export function isValidSecretsKey (base64: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) && Buffer.from(base64, 'base64').length === 32
}

/** A fingerprint naming the key (first 8 bytes of its SHA-256): tells keys apart, reveals nothing of them. */
export function keyIdOf (key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

export function generateSecretsKey (): string {
  return randomBytes(32).toString('base64')
}

export interface Sealed {
  keyId: string
  ciphertext: Buffer
}

export class SecretDecryptError extends Error {
  override name = 'SecretDecryptError'
}

export interface SecretBox {
  readonly currentKeyId: string
  /** `context` is bound to the ciphertext (GCM additional data): a row copied to another client does not decrypt. */
  seal: (plaintext: string, context: string) => Sealed
  open: (sealed: Sealed, context: string) => string
}

export function createSecretBox (current: string, previous?: string): SecretBox {
  const keys = new Map<string, Buffer>()
  const currentKey = Buffer.from(current, 'base64')
  const currentKeyId = keyIdOf(currentKey)
  if (previous !== undefined) {
    const previousKey = Buffer.from(previous, 'base64')
    keys.set(keyIdOf(previousKey), previousKey)
  }
  keys.set(currentKeyId, currentKey)
  return {
    currentKeyId,
    seal (plaintext, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv).setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return { keyId: currentKeyId, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]) }
    },
    open ({ keyId, ciphertext }, context) {
      const key = keys.get(keyId)
      if (key === undefined) throw new SecretDecryptError(`stored under key ${keyId}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`)
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, IV_BYTES)).setAAD(Buffer.from(context, 'utf8'))
        decipher.setAuthTag(ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
        return Buffer.concat([decipher.update(ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
      } catch {
        throw new SecretDecryptError(`the stored credential does not decrypt under key ${keyId} (altered, or copied from another row)`)
      }
    }
  }
}
