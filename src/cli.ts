import { ConfigError, loadConfig, type Config } from './config.js'
import { createClientWithKey } from './clients/repository.js'
import { createDatabase, waitForDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrator.js'
import { resolveDatabaseUrl } from './database-url.js'
import { createLogger } from './logger.js'
import { runReencryptSecrets, runSetAirtable } from './airtable/settings-commands.js'
import { withEmbeddedSecretsKey } from './secrets/embedded-key.js'
import { runActivate, UsageError } from './operations/activate-command.js'

const USAGE = `usage: npm run cli -- <command>   (in the container image: node dist/src/cli.js <command>)
  create-client "<name>"   create a client and print its id and first API key
  migrate                  apply pending database migrations
  set-airtable <clientId> --base app… --table <name>
                           set the client's Airtable base, table and key (the key read from stdin)
  reencrypt-secrets        re-encrypt stored keys under SECRETS_KEY (after a rotation: the old key in SECRETS_KEY_PREVIOUS)
  activate --url <base>    activate due scheduled campaigns through the internal listener
           [--max-calls 20] [--timeout-ms 60000]   (token: CRON_SECRET; exits 1 on any failure)`

interface CommandContext {
  config: Config
  /** DATABASE_URL or the embedded cluster's URL, started on first use: only commands that need a database call it. */
  databaseUrl: () => Promise<string>
}

type Command = (args: string[], context: CommandContext) => Promise<void>


const commands: Record<string, Command> = {
  'create-client': async (args, context) => {
    const name = args.join(' ').trim()
    if (name === '' || name.length > 200) throw new UsageError('create-client needs a name of 1..200 characters')
    const url = await context.databaseUrl()
    const { db } = createDatabase(url, 2)
    try {
      await migrateToLatest(db, url)
      const client = await createClientWithKey(db, name)
      process.stdout.write(`client id: ${client.id}\napi key:   ${client.apiKey}\nkey id:    ${client.apiKeyId}\n(the key is shown once; keep it safe)\n`)
    } finally {
      await db.destroy()
    }
  },
  migrate: async (_args, context) => {
    const url = await context.databaseUrl()
    const { db } = createDatabase(url, 2)
    try {
      await waitForDatabase(db, message => { process.stderr.write(`${message}\n`) })
      const { applied } = await migrateToLatest(db, url)
      process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database schema is up to date\n')
    } finally {
      await db.destroy()
    }
  },
  activate: async (args, context) => { await runActivate(args, context.config.CRON_SECRET) },
  // Zero-config mode: the SECRETS_KEY generated beside the embedded data, as the server reads it.
  'set-airtable': async (args, context) => { await runSetAirtable(args, withEmbeddedSecretsKey(context.config), context.databaseUrl) },
  'reencrypt-secrets': async (_args, context) => { await runReencryptSecrets(withEmbeddedSecretsKey(context.config), context.databaseUrl) }
}

async function main (): Promise<void> {
  const [name, ...args] = process.argv.slice(2)
  const command = name !== undefined ? commands[name] : undefined
  if (command === undefined) throw new UsageError(name === undefined ? 'no command given' : `unknown command: ${name}`)
  const config = loadConfig()
  // Logs go to stderr so a command's output stays clean for scripts.
  const logger = createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, 2)
  let database: Awaited<ReturnType<typeof resolveDatabaseUrl>> | undefined
  const context: CommandContext = {
    config,
    databaseUrl: async () => {
      database ??= await resolveDatabaseUrl(config, logger)
      return database.url
    }
  }
  try {
    await command(args, context)
  } finally {
    await database?.stop()
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n${USAGE}\n`)
    process.exit(2)
  }
  process.stderr.write(`${error instanceof ConfigError ? '' : 'error: '}${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
