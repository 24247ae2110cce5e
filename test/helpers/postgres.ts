import { createHash, randomBytes } from 'node:crypto'
import pg from 'pg'

// Tests use the machine's PostgreSQL (or TEST_DATABASE_URL): a migrated template database is
// made once per run (test/setup/create-template.ts) and each test file clones its own copy.
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
// One template per checkout, so test runs in two clones on one machine never drop each other's.
export const TEMPLATE_DATABASE = process.env.TEST_TEMPLATE_DATABASE ??
  `cs_template_${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 10)}`

export function databaseUrl (name: string): string {
  const url = new URL(SERVER_URL)
  url.pathname = '/' + name
  return url.toString()
}

export async function withServer<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A new database cloned from the migrated template; dropped when the test ends. */
export async function freshDatabase (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const name = `cs_test_${randomBytes(6).toString('hex')}`
  await withServer(async client => {
    // CREATE DATABASE ... TEMPLATE fails while another session is copying the same template: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database ${name} template ${TEMPLATE_DATABASE}`)
        return
      } catch (error) {
        if (attempt >= 50 || !/being accessed by other users/.test((error as Error).message)) throw error
        await new Promise(resolve => setTimeout(resolve, 100 + Math.random() * 200))
      }
    }
  })
  t.teardown(async () => {
    await withServer(async client => { await client.query(`drop database if exists ${name} with (force)`) })
  })
  return databaseUrl(name)
}
