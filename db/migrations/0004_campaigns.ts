import { type Kysely, sql } from 'kysely'

// Frozen. Indexes the campaign engine's queries need beyond the initial schema.
export async function up (db: Kysely<any>): Promise<void> {
  // "does this campaign still have active enrollments?" (completion, cancel) without scanning
  // every enrollment the campaign ever made.
  await sql`create index enrollments_campaign_active on enrollments (campaign_id) where status = 'active'`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index enrollments_campaign_active`.execute(db)
}
