import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { embeddedSecretsKey } from '../../src/secrets/embedded-key.js'
import { keyIdOf } from '../../src/secrets/secret-box.js'
import { AIRTABLE_KEY, TEST_SECRETS_KEY, randomBaseId } from '../helpers/airtable.js'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.js'
import { runCli } from '../helpers/run-cli.js'

t.test('SECRETS_KEY and SECRETS_KEY_PREVIOUS are validated with one line naming the variable, never echoing it', async t => {
  for (const key of ['SECRETS_KEY', 'SECRETS_KEY_PREVIOUS']) {
    for (const bad of ['c2hvcnQ=', 'not base64 at all!', Buffer.alloc(33).toString('base64')]) {
      const env = { SECRETS_KEY: TEST_SECRETS_KEY, [key]: bad }
      t.throws(() => loadConfig(env), new ConfigError(`Invalid configuration: ${key} must be 32 bytes, base64-encoded (make one with: openssl rand -base64 32)`))
    }
  }
  t.throws(() => loadConfig({ SECRETS_KEY_PREVIOUS: TEST_SECRETS_KEY }), /SECRETS_KEY must be set when SECRETS_KEY_PREVIOUS is/)
  t.equal(loadConfig({ SECRETS_KEY: TEST_SECRETS_KEY }).SECRETS_KEY, TEST_SECRETS_KEY)
  t.same(loadConfig({ AIRTABLE_API_KEY: 'x', AIRTABLE_TABLE: 'Leads' }).removedVariables, ['AIRTABLE_API_KEY', 'AIRTABLE_TABLE'])
})

t.test('a start with a removed global Airtable variable logs one warning naming the admin call', async t => {
  const lines: string[] = []
  const logTo = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done() } })
  await buildTestApp(t, { env: { LOG_LEVEL: 'info', AIRTABLE_API_KEY: 'pat-old-global-key', AIRTABLE_BASE_ID: 'appOld' }, logTo })
  const warnings = lines.map(line => JSON.parse(line) as { level: number, msg: string }).filter(line => line.level === 40 && /AIRTABLE_/.test(line.msg))
  t.equal(warnings.length, 1)
  t.match(warnings[0]?.msg, 'AIRTABLE_API_KEY, AIRTABLE_BASE_ID are no longer read')
  t.match(warnings[0]?.msg, 'PUT /v1/admin/clients/{clientId}/airtable')
  t.notOk(lines.some(line => line.includes('pat-old-global-key')))
})

t.test('zero-config mode: a key generated once beside the embedded data, mode 600, the same on every start', async t => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cs-secrets-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const first = embeddedSecretsKey(dir)
  t.equal(Buffer.from(first, 'base64').length, 32)
  t.equal(statSync(path.join(dir, 'secrets.key')).mode & 0o777, 0o600)
  t.equal(embeddedSecretsKey(dir), first, 'kept, not regenerated')
  t.equal(loadConfig({ EMBEDDED_DATA_DIR: dir }).SECRETS_KEY, undefined, 'loadConfig itself reads only the environment')
  writeFileSync(path.join(dir, 'secrets.key'), 'garbage')
  t.throws(() => embeddedSecretsKey(dir), /does not hold a 32-byte base64 key/)
})

t.test('CLI set-airtable reads the key from stdin, stores it encrypted; reencrypt-secrets moves it to a new key', async t => {
  const app = await buildTestApp(t, { env: { SECRETS_KEY: TEST_SECRETS_KEY } })
  const client = await app.createClient()
  const env = { DATABASE_URL: app.databaseUrl, SECRETS_KEY: TEST_SECRETS_KEY }
  const baseId = randomBaseId()
  const set = await runCli(['set-airtable', client.id, '--base', baseId, '--table', 'Leads'], env, `${AIRTABLE_KEY}\n`)
  t.equal(set.code, 0, set.stderr)
  t.match(set.stdout, `base ${baseId}, table Leads`)
  t.notOk(set.stdout.includes(AIRTABLE_KEY) || set.stderr.includes(AIRTABLE_KEY), 'the key is not printed')
  const get = await app.api.inject({ method: 'GET', url: `/v1/admin/clients/${client.id}/airtable`, headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  t.match(get.json(), { baseId, table: 'Leads' })
  const opened = app.ctx.secrets?.open(await storedKey(app), `client-airtable:${client.id}`)
  t.equal(opened, AIRTABLE_KEY, 'stdin\'s trailing newline is not part of the key')

  const usage = await runCli(['set-airtable', client.id, '--base', 'app123', '--table', 'Leads'], env, AIRTABLE_KEY)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /--base: app followed by 14 letters or digits/)
  t.match((await runCli(['set-airtable', client.id, '--base', baseId, '--table', 'Leads', '--key', 'x'], env, '')).stderr, /from standard input/)
  t.match((await runCli(['set-airtable', client.id, '--base', baseId, '--table', 'Leads'], env, '')).stderr, /the key on standard input: 1\.\.500 characters/)
  const noKey = await runCli(['set-airtable', client.id, '--base', baseId, '--table', 'Leads'], { DATABASE_URL: app.databaseUrl }, AIRTABLE_KEY)
  t.equal(noKey.code, 1)
  t.match(noKey.stderr, /SECRETS_KEY is not set/)
  const unknown = await runCli(['set-airtable', '00000000-0000-4000-8000-000000000000', '--base', baseId, '--table', 'Leads'], env, AIRTABLE_KEY)
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /client not found/)

  const newKey = Buffer.alloc(32, 3).toString('base64')
  const rotated = await runCli(['reencrypt-secrets'], { DATABASE_URL: app.databaseUrl, SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: TEST_SECRETS_KEY })
  t.equal(rotated.code, 0, rotated.stderr)
  t.match(rotated.stdout, /re-encrypted 1 stored key/)
  t.equal((await storedKey(app)).keyId, keyIdOf(Buffer.from(newKey, 'base64')))
  const again = await runCli(['reencrypt-secrets'], { DATABASE_URL: app.databaseUrl, SECRETS_KEY: newKey })
  t.match(again.stdout, /re-encrypted 0 stored key/)
})

async function storedKey (app: Awaited<ReturnType<typeof buildTestApp>>): Promise<{ keyId: string, ciphertext: Buffer }> {
  const { rows: [row] } = await sql<{ key_id: string, api_key_ciphertext: Buffer }>`select key_id, api_key_ciphertext from client_airtable_settings`.execute(app.ctx.db)
  if (row === undefined) throw new Error('no settings stored')
  return { keyId: row.key_id, ciphertext: row.api_key_ciphertext }
}
