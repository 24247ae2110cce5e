import { type Kysely, sql } from 'kysely'

// Frozen. A lead with an Airtable record but no enrollment still has its `Opted Out` checkbox
// mirrored when it opts out or back in (issue 12): such a batch names no campaign, and when it
// fails it is kept like any other, with no campaign.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table airtable_sync_failures alter column campaign_id drop not null`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    delete from airtable_sync_failures where campaign_id is null;
    alter table airtable_sync_failures alter column campaign_id set not null;
  `.execute(db)
}
