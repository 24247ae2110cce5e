import { type Kysely, sql } from 'kysely'

// Frozen. A settled sync failure (retried, or overtaken by a later successful sync) was deleted,
// and a page cursor naming it then matched nothing: the next page came back empty while failures
// were still kept. Settled rows now stay a day, marked resolved, so every cursor keeps its place;
// the activation tick purges them after that.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table airtable_sync_failures add column resolved_at timestamptz;
    drop index airtable_sync_failures_client;
    create index airtable_sync_failures_client on airtable_sync_failures (client_id, failed_at, id) where resolved_at is null;
    create index airtable_sync_failures_resolved on airtable_sync_failures (resolved_at) where resolved_at is not null;
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    delete from airtable_sync_failures where resolved_at is not null;
    drop index airtable_sync_failures_resolved;
    drop index airtable_sync_failures_client;
    create index airtable_sync_failures_client on airtable_sync_failures (client_id, failed_at, id);
    alter table airtable_sync_failures drop column resolved_at;
  `.execute(db)
}
