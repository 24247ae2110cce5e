import { type Kysely, sql } from 'kysely'

// Frozen. A campaign's send window ({start, end, days?, timezone?}, checked by the API) and a
// lead's own IANA time zone, which the window is read in when set. Both nullable: adding them
// rewrites no rows, so the migration is instant on a million leads.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table campaigns add column send_window jsonb
    constraint campaigns_send_window_is_object check (send_window is null or jsonb_typeof(send_window) = 'object')`.execute(db)
  await sql`alter table leads add column timezone text`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table leads drop column timezone`.execute(db)
  await sql`alter table campaigns drop column send_window`.execute(db)
}
