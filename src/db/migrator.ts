import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely'
import { runMigrations as runWorkerMigrations } from 'graphile-worker'
import type { Database } from './database.js'

// src/db or dist/src/db → db/migrations (the build compiles migrations alongside).
const migrationFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../db/migrations')

export interface MigrationSummary {
  applied: string[]
}

/**
 * Applies pending migrations: ours (Kysely runs them in one transaction under an advisory
 * lock, so replicas starting together are safe) and then graphile-worker's own schema.
 */
export async function migrateToLatest (db: Database, connectionString: string): Promise<MigrationSummary> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder }),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Feature branches add migrations in parallel; a lower number merged later must still run.
    allowUnorderedMigrations: true
  })
  const result: MigrationResultSet = await migrator.migrateToLatest()
  if (result.error !== undefined) {
    const failed = result.results?.find(r => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`)
  }
  await runWorkerMigrations({ connectionString })
  return { applied: (result.results ?? []).filter(r => r.status === 'Success').map(r => r.migrationName) }
}
