import { type Kysely, sql } from 'kysely'

// Frozen. The activation tick completes due enrollments of every client at once.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index enrollments_due on enrollments (completes_at) where status = 'active'`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index enrollments_due`.execute(db)
}
