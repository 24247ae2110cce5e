import { text } from 'node:stream/consumers'
import Value from 'typebox/value'
import type { Config } from '../config.js'
import { createDatabase } from '../db/database.js'
import { migrateToLatest } from '../db/migrator.js'
import { UsageError } from '../operations/activate-command.js'
import { createSecretBox, type SecretBox } from '../secrets/secret-box.js'
import { AirtableSettingsInput } from './settings-schemas.js'
import { putAirtableSettings, reencryptAirtableKeys } from './settings-service.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function secretsOf (config: Config): SecretBox {
  if (config.SECRETS_KEY === undefined) throw new Error('SECRETS_KEY is not set, so credentials cannot be stored encrypted: set SECRETS_KEY (32 random bytes, base64: openssl rand -base64 32)')
  return createSecretBox(config.SECRETS_KEY, config.SECRETS_KEY_PREVIOUS)
}

function option (args: string[], name: string): string | undefined {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}

/**
 * `set-airtable <clientId> --base app… --table Leads`, the key on standard input (an argument
 * would show in `ps` and in shell history). Same rules and effects as the admin PUT.
 */
export async function runSetAirtable (args: string[], config: Config, databaseUrl: () => Promise<string>): Promise<void> {
  const [clientId] = args
  if (clientId === undefined || !UUID.test(clientId)) throw new UsageError('set-airtable needs a client id (a UUID) first')
  if (args.includes('--key') || args.includes('--api-key')) throw new UsageError('set-airtable reads the key from standard input, never from an argument')
  const input = { apiKey: '', baseId: option(args, '--base') ?? '', table: option(args, '--table') ?? '' }
  if (process.stdin.isTTY) process.stderr.write('Airtable API key (then Enter and Ctrl-D): ')
  input.apiKey = (await text(process.stdin)).trim()
  const error = Value.Errors(AirtableSettingsInput, input)[0]
  if (error !== undefined) {
    const field = error.instancePath.replace(/^\//, '')
    const flag = { baseId: '--base', table: '--table', apiKey: 'the key on standard input' }[field] ?? field
    throw new UsageError(`${flag}: ${field === 'baseId' ? 'app followed by 14 letters or digits' : field === 'table' ? '1..100 characters' : '1..500 characters'}`)
  }
  const secrets = secretsOf(config)
  const url = await databaseUrl()
  const { db } = createDatabase(url, 2)
  try {
    await migrateToLatest(db, url)
    const settings = await putAirtableSettings({ db, config, secrets }, clientId, input)
    process.stdout.write(`Airtable settings stored for client ${clientId}: base ${settings.baseId}, table ${settings.table} (the key is encrypted; it is never shown again)\n`)
  } finally {
    await db.destroy()
  }
}

/** `reencrypt-secrets`: after setting a new SECRETS_KEY with the old one as SECRETS_KEY_PREVIOUS. */
export async function runReencryptSecrets (config: Config, databaseUrl: () => Promise<string>): Promise<void> {
  const secrets = secretsOf(config)
  const url = await databaseUrl()
  const { db } = createDatabase(url, 2)
  try {
    await migrateToLatest(db, url)
    const count = await reencryptAirtableKeys(db, secrets)
    process.stdout.write(`re-encrypted ${count} stored key(s) under SECRETS_KEY (key id ${secrets.currentKeyId}); every stored key is now under it\n`)
  } finally {
    await db.destroy()
  }
}
