// Run once by tap before any test file (package.json "tap.before"): builds the migrated
// template database that every test file clones.
import { createDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrator.js'
import { TEMPLATE_DATABASE, databaseUrl, withServer } from '../helpers/postgres.js'

await withServer(async client => {
  await client.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`)
  await client.query(`create database ${TEMPLATE_DATABASE}`)
})
const url = databaseUrl(TEMPLATE_DATABASE)
const { db } = createDatabase(url, 2)
await migrateToLatest(db, url)
await db.destroy()
