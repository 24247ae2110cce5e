import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.js'
import { generateSecretsKey, isValidSecretsKey } from './secret-box.js'

/**
 * Zero-configuration mode: SECRETS_KEY unset and the embedded PostgreSQL in use. A key is made
 * once and kept beside the embedded data (mode 600), so the credentials stored in that database
 * stay readable across restarts and by the CLI. `wx` makes the first writer win a race.
 */
export function embeddedSecretsKey (dataDir: string): string {
  const root = path.resolve(dataDir)
  const file = path.join(root, 'secrets.key')
  mkdirSync(root, { recursive: true })
  try {
    writeFileSync(file, `${generateSecretsKey()}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error
  }
  chmodSync(file, 0o600)
  const key = readFileSync(file, 'utf8').trim()
  if (!isValidSecretsKey(key)) throw new Error(`${file} does not hold a 32-byte base64 key: restore it, or delete it together with the stored Airtable settings`)
  return key
}

/** The config with SECRETS_KEY filled in from the embedded data directory when zero-config mode applies. */
export function withEmbeddedSecretsKey (config: Config): Config {
  if (config.SECRETS_KEY !== undefined || !config.embeddedDatabase) return config
  return { ...config, SECRETS_KEY: embeddedSecretsKey(config.EMBEDDED_DATA_DIR) }
}
