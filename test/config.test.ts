import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults follow the contract', async t => {
  const config = loadConfig({})
  t.match(config, { PORT: 3000, INTERNAL_PORT: 3001, HOST: '0.0.0.0', MIGRATE_ON_START: true, GENERATE_RATE_LIMIT_PER_MINUTE: 10, embeddedDatabase: true, azureConfigured: false, removedVariables: [] })
  t.equal(config.AZURE_OPENAI_PRIMARY_DEPLOYMENT, 'gpt-5')
  t.equal(config.AZURE_OPENAI_FALLBACK_DEPLOYMENT, 'gpt-5-mini')
  t.equal(config.ADMIN_API_KEY, undefined)
  t.equal(loadConfig({ DATABASE_URL: 'postgres://x@y/z', MIGRATE_ON_START: 'false' }).MIGRATE_ON_START, false)
  t.equal(loadConfig({ PORT: '' }).PORT, 3000, 'an empty variable counts as unset')
  t.equal(loadConfig({ PORT: ' 8080 ' }).PORT, 8080, 'spaces around digits are forgiven')
})

t.test('a bad value names the variable and what it expects, never echoing a secret', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^Invalid configuration: PORT="abc" must be an integer >= 0 and <= 65535$/],
    [{ INTERNAL_PORT: '70000' }, /INTERNAL_PORT="70000" must be an integer/],
    [{ MIGRATE_ON_START: 'maybe' }, /MIGRATE_ON_START="maybe" must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud" must be one of fatal, error/],
    [{ DATABASE_URL: 'mysql://root@x/db' }, /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ connection URL$/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\/ URL/],
    [{ ADMIN_API_KEY: 'short-secret' }, /^Invalid configuration: ADMIN_API_KEY must be a string of at least 16 characters$/],
    [{ GENERATE_RATE_LIMIT_PER_MINUTE: '0' }, /GENERATE_RATE_LIMIT_PER_MINUTE="0" must be an integer >= 1/],
    // Integers are decimal digits: nothing rounded, read as hex or exponent, or a blank read as 0.
    [{ PORT: '3.5' }, /^Invalid configuration: PORT="3.5" must be an integer/],
    [{ DATABASE_POOL_SIZE: '3.5' }, /DATABASE_POOL_SIZE="3.5" must be an integer >= 2/],
    [{ PORT: ' ' }, /PORT=" " must be an integer/],
    [{ PORT: '0x10' }, /PORT="0x10" must be an integer/],
    [{ PORT: '3e3' }, /PORT="3e3" must be an integer/],
    [{ RATE_LIMIT_KEY_PREFIX: 'p'.repeat(101) }, /RATE_LIMIT_KEY_PREFIX must be a string of at least 1 and at most 100 characters$/]
  ]
  const messageFor = (env: Record<string, string>): string => {
    try {
      loadConfig(env)
    } catch (error) {
      if (error instanceof ConfigError) return error.message
      throw error
    }
    return 'no error'
  }
  for (const [env, expected] of cases) t.match(messageFor(env), expected, JSON.stringify(env))
  t.notMatch(messageFor({ ADMIN_API_KEY: 'tiny' }), /tiny/)
})
