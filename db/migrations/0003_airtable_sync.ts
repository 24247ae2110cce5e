import { type Kysely, sql } from 'kysely'

// Frozen. Airtable mirror: batches that exhausted their retries are kept here (never dropped)
// until the client retries them or a later sync of the same leads succeeds.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table airtable_sync_failures (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null references clients (id) on delete cascade,
      campaign_id uuid not null references campaigns (id) on delete cascade,
      lead_ids uuid[] not null check (cardinality(lead_ids) between 1 and 10),
      attempts integer not null check (attempts >= 1),
      last_error text not null,
      failed_at timestamptz not null default now()
    );
    create index airtable_sync_failures_client on airtable_sync_failures (client_id, failed_at, id);
    create index airtable_sync_failures_campaign on airtable_sync_failures (campaign_id);

    -- The sync job mirrors each lead's latest enrollment (any campaign): look them up by lead
    -- instead of scanning every enrollment. Also serves the cascade when a lead is deleted.
    create index enrollments_lead_latest on enrollments (lead_id, enrolled_at desc);
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop index enrollments_lead_latest; drop table airtable_sync_failures`.execute(db)
}
