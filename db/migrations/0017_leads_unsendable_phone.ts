import { type Kysely, sql } from 'kysely'

// Frozen. The activation tick skips due deliveries whose lead has no sendable phone (so
// enrollments end with no sender). Looking for them through every open due delivery joined
// with its lead made each tick cost as much as all deliveries waiting for a sender; this index
// holds only the leads without one (the predicate is the service's sendable-phone test, written
// out: a migration does not import app code), so the tick starts from those few leads instead.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`create index leads_unsendable_phone on leads (client_id) where not coalesce(phone ~ '^\\+[1-9][0-9]{6,14}$', false)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index leads_unsendable_phone`.execute(db)
}
