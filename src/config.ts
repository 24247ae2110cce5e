import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { isSupportedCountry } from 'libphonenumber-js'
import { isValidSecretsKey } from './secrets/secret-box.js'

// The environment the service reads, and the only place that reads process.env.
// Each key is the variable's name; defaults and bounds live here and nowhere else.
export const EnvSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'production', description: 'production | development | test' }),
  LOG_LEVEL: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  INTERNAL_PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 2, maximum: 200 }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100, description: 'deadline of one database statement (an enrollment chunk gets ENROLLMENT_TIME_BUDGET_MS when longer); a database that does not answer fails the call after this plus 2 s' }),
  DATABASE_LOCK_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, description: 'how long a statement waits for a row or advisory lock before failing with 503' }),
  EMBEDDED_DATA_DIR: Type.String({ default: './.data', minLength: 1 }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16 })),
  CRON_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 25000, minimum: 1000 }),
  ENROLLMENT_CHUNK_SIZE: Type.Integer({ default: 25000, minimum: 1, maximum: 1000000 }),
  ENROLLMENT_TIME_BUDGET_MS: Type.Integer({ default: 20000, minimum: 1 }),
  ACTIVATION_BATCH_SIZE: Type.Integer({ default: 25, minimum: 1, maximum: 1000 }),
  ACTIVATION_TICK_BUDGET_MS: Type.Integer({ default: 45000, minimum: 1, description: 'wall-clock budget of one activation call; what is left is reported as remaining' }),
  AZURE_OPENAI_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  AZURE_OPENAI_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  // GPT-5 is a reasoning model; projects that moved to it report that chat completions need api-version
  // 2025-04-01-preview (e.g. danielmiessler/Fabric v1.4.398 changed its default for that reason).
  AZURE_OPENAI_API_VERSION: Type.String({ default: '2025-04-01-preview', minLength: 1 }),
  AZURE_OPENAI_PRIMARY_DEPLOYMENT: Type.String({ default: 'gpt-5', minLength: 1 }),
  AZURE_OPENAI_FALLBACK_DEPLOYMENT: Type.String({ default: 'gpt-5-mini', minLength: 1 }),
  AZURE_OPENAI_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 100 }),
  GENERATE_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 10, minimum: 1 }),
  GENERATE_DAILY_TOKEN_BUDGET: Type.Integer({ default: 0, minimum: 0, description: '0 = no budget' }),
  METRICS_CLIENT_LABELS: Type.Boolean({ default: false, description: 'also export per-client series labelled with the client id (token budget use); off keeps /metrics cardinality independent of the number of clients' }),
  RATE_LIMIT_KEY_PREFIX: Type.String({ default: 'campaign-service', minLength: 1, maxLength: 100, description: 'prefix of every rate-limit key in Redis (one per deployment sharing a Redis)' }),
  // Each client's Airtable base, table and key are set through the admin API.
  AIRTABLE_ENDPOINT_URL: Type.String({ default: 'https://api.airtable.com', pattern: '^https?://' }),
  AIRTABLE_FIELD_CAMPAIGN: Type.String({ default: 'Campaign', minLength: 1 }),
  AIRTABLE_FIELD_STATUS: Type.String({ default: 'Campaign Status', minLength: 1 }),
  AIRTABLE_FIELD_ENROLLED_AT: Type.String({ default: 'Enrolled At', minLength: 1 }),
  AIRTABLE_FIELD_OPTED_OUT: Type.String({ default: 'Opted Out', minLength: 1, description: "checkbox mirroring the lead's optedOut" }),
  AIRTABLE_REQUESTS_PER_SECOND: Type.Integer({ default: 5, minimum: 1 }),
  AIRTABLE_TIMEOUT_MS: Type.Integer({ default: 15000, minimum: 100 }),
  AIRTABLE_MAX_ATTEMPTS: Type.Integer({ default: 10, minimum: 1 }),
  DEFAULT_PHONE_REGION: Type.String({ default: 'US', pattern: '^[A-Z]{2}$', description: 'ISO 3166 region that reads a phone number written without a + country code' }),
  SECRETS_KEY: Type.Optional(Type.String({ minLength: 1, description: '32 bytes, base64: encrypts stored third-party credentials' })),
  SECRETS_KEY_PREVIOUS: Type.Optional(Type.String({ minLength: 1, description: 'the key being rotated out: read, never written' })),
  DELIVERY_STALE_AFTER_SECONDS: Type.Integer({ default: 86400, minimum: 60, description: 'a delivery not sent this long after its due time is skipped (stale) instead of going out late' }),
  WORKER_ENABLED: Type.Boolean({ default: true, description: 'run the job worker inside the API process' }),
  WORKER_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 50 }),
  WORKER_POLL_INTERVAL_MS: Type.Integer({ default: 2000, minimum: 50, description: 'how often the worker looks for jobs whose retry time has come (new jobs arrive by LISTEN/NOTIFY)' })
})
export type Env = Static<typeof EnvSchema>

export type Config = Env & {
  // Derived flags, so callers never re-interpret raw variables.
  readonly embeddedDatabase: boolean
  readonly azureConfigured: boolean
  /** Variables no longer read that are set anyway (each worth one warning at start). */
  readonly removedVariables: readonly string[]
}

/** The global Airtable settings replaced by each client's own (PUT /v1/admin/clients/{clientId}/airtable). */
export const REMOVED_VARIABLES = ['AIRTABLE_API_KEY', 'AIRTABLE_BASE_ID', 'AIRTABLE_TABLE'] as const

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function describe (schema: object): string {
  const s = schema as Record<string, unknown> & { minimum?: number, maximum?: number }
  if (s.pattern === '^postgres(ql)?://') return 'a postgres:// connection URL'
  if (s.pattern === '^rediss?://') return 'a redis:// URL'
  if (s.pattern === '^https?://') return 'an http(s):// URL'
  if (s.pattern === '^[A-Z]{2}$') return 'a region code with phone metadata, e.g. US or GB'
  if (s.type === 'integer') {
    const range = [s.minimum !== undefined ? `>= ${String(s.minimum)}` : '', s.maximum !== undefined ? `<= ${String(s.maximum)}` : ''].filter(Boolean).join(' and ')
    return `an integer${range ? ' ' + range : ''}`
  }
  if (s.type === 'boolean') return 'true or false'
  if (Array.isArray(s.anyOf)) return 'one of ' + (s.anyOf as Array<{ const: string }>).map(v => v.const).join(', ')
  const lengths = [typeof s.minLength === 'number' ? `at least ${s.minLength}` : '', typeof s.maxLength === 'number' ? `at most ${s.maxLength}` : ''].filter(Boolean)
  if (lengths.length > 0) return `a string of ${lengths.join(' and ')} characters`
  return 'a valid value'
}

/** Reads and validates the environment; throws one ConfigError naming the first bad variable. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const invalid = (key: string): ConfigError => {
    const property = (EnvSchema.properties as Record<string, object>)[key]
    // Secrets and URLs (which may carry a password) are never echoed back.
    const shown = /KEY|SECRET|URL/.test(key) ? '' : `=${JSON.stringify(raw[key] ?? '')}`
    return new ConfigError(`Invalid configuration: ${key}${shown} must be ${property ? describe(property) : 'valid'}`)
  }
  const input: Record<string, unknown> = { ...raw } // Convert may mutate its input
  for (const [key, value] of Object.entries(raw)) {
    if ((EnvSchema.properties as Record<string, { type?: string }>)[key]?.type !== 'integer') continue
    // Convert would read "3.5" as 3, "0x10" as 16 and " " as 0: an integer is written in decimal digits.
    if (!/^-?\d+$/.test(value.trim())) throw invalid(key)
    input[key] = Number(value.trim())
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, input))
  if (!Value.Check(EnvSchema, converted)) {
    const first = Value.Errors(EnvSchema, converted)[0]
    throw invalid(first?.instancePath.split('/')[1] ?? 'environment')
  }
  const parsed = converted
  // Two capital letters is not enough: the region must be one libphonenumber-js has rules for.
  if (!isSupportedCountry(parsed.DEFAULT_PHONE_REGION)) throw invalid('DEFAULT_PHONE_REGION')
  for (const key of ['SECRETS_KEY', 'SECRETS_KEY_PREVIOUS'] as const) {
    const value = parsed[key]
    if (value !== undefined && !isValidSecretsKey(value)) throw new ConfigError(`Invalid configuration: ${key} must be 32 bytes, base64-encoded (make one with: openssl rand -base64 32)`)
  }
  if (parsed.SECRETS_KEY_PREVIOUS !== undefined && parsed.SECRETS_KEY === undefined) throw new ConfigError('Invalid configuration: SECRETS_KEY must be set when SECRETS_KEY_PREVIOUS is (it is the key being rotated to)')
  return {
    ...parsed,
    embeddedDatabase: parsed.DATABASE_URL === undefined,
    azureConfigured: parsed.AZURE_OPENAI_ENDPOINT !== undefined,
    removedVariables: REMOVED_VARIABLES.filter(key => env[key] !== undefined && env[key] !== '')
  }
}

/** For process entry points: the config, or one line on stderr naming the bad variable and exit 1. */
export function loadConfigOrExit (env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n')
      process.exit(1)
    }
    throw error
  }
}
