import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator, type MigrationResultSet, type MigratorProps } from 'kysely'
import { runMigrations as runWorkerMigrations } from 'graphile-worker'
import { createDatabase, type Database } from './database.js'
import { createPool } from './pool.js'

// src/db or dist/src/db → db/migrations (the build compiles migrations alongside).
const migrationFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../db/migrations')

export interface MigrationSummary {
  applied: string[]
}

/**
 * Applies pending migrations: ours (Kysely runs them in one transaction under an advisory
 * lock, so replicas starting together are safe) and then graphile-worker's own schema.
 */
/** Our migrations (db/migrations) as Kysely runs them, on any Kysely instance. */
export function createMigrator (db: MigratorProps['db']): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder }),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Feature branches add migrations in parallel; a lower number merged later must still run.
    allowUnorderedMigrations: true
  })
}

export async function migrateToLatest (db: Database, connectionString: string): Promise<MigrationSummary> {
  const migrator = createMigrator(db)
  const result: MigrationResultSet = await migrator.migrateToLatest()
  if (result.error !== undefined) {
    const error: unknown = result.error
    const failed = result.results?.find(r => r.status === 'Error')?.migrationName
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(failed !== undefined ? `migration ${failed} failed: ${reason}` : `migrations could not run: ${reason}`)
  }
  // graphile-worker's own migrator races when replicas start together, so replicas take turns
  // under a session advisory lock held on a second connection. The pool is ours and closed after.
  // createPool's error listeners also keep graphile-worker's console warning about a pool
  // without them out of our JSON logs.
  const pool = createPool({ connectionString, max: 2 })
  const lock = await pool.connect()
  const key = "hashtextextended('campaign-service:worker-migrations', 0)"
  try {
    await lock.query(`select pg_advisory_lock(${key})`)
    try {
      await runWorkerMigrations({ pgPool: pool })
    } finally {
      await lock.query(`select pg_advisory_unlock(${key})`)
    }
  } finally {
    lock.release()
    await pool.end()
  }
  return { applied: (result.results ?? []).filter(r => r.status === 'Success').map(r => r.migrationName) }
}

/**
 * Migrations on a connection of their own, without the service's statement deadlines: building
 * an index on a large table may take longer than any request should.
 */
export async function migrateWithoutDeadlines (connectionString: string): Promise<MigrationSummary> {
  const { db } = createDatabase(connectionString, 2)
  try {
    return await migrateToLatest(db, connectionString)
  } finally {
    await db.destroy()
  }
}
