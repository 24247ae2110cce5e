import { ConfigError, loadConfig } from './config.js'
import { createClientWithKey } from './clients/repository.js'
import { createDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrator.js'
import { resolveDatabaseUrl } from './database-url.js'
import { createLogger } from './logger.js'

const USAGE = `usage: npm run cli -- <command>
  create-client "<name>"   create a client and print its id and first API key
  migrate                  apply pending database migrations`

type Command = (args: string[], url: string) => Promise<void>

const commands: Record<string, Command> = {
  'create-client': async (args, url) => {
    const name = args.join(' ').trim()
    if (name === '' || name.length > 200) throw new Error('create-client needs a name of 1..200 characters')
    const { db } = createDatabase(url, 2)
    try {
      await migrateToLatest(db, url)
      const client = await createClientWithKey(db, name)
      process.stdout.write(`client id: ${client.id}\napi key:   ${client.apiKey}\n(the key is shown once; keep it safe)\n`)
    } finally {
      await db.destroy()
    }
  },
  migrate: async (_args, url) => {
    const { db } = createDatabase(url, 2)
    try {
      const { applied } = await migrateToLatest(db, url)
      process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database schema is up to date\n')
    } finally {
      await db.destroy()
    }
  }
}

async function main (): Promise<void> {
  const [name, ...args] = process.argv.slice(2)
  const command = name !== undefined ? commands[name] : undefined
  if (command === undefined) {
    process.stderr.write(USAGE + '\n')
    process.exit(2)
  }
  const config = loadConfig()
  // Logs go to stderr so a command's output stays clean for scripts.
  const logger = createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, 2)
  const database = await resolveDatabaseUrl(config, logger)
  try {
    await command(args, database.url)
  } finally {
    await database.stop()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? '' : 'error: '}${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
