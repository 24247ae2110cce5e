import { type Kysely, sql } from 'kysely'

// Frozen. Each client mirrors into its own Airtable base with its own key (issue 13): the key
// is stored encrypted (AES-256-GCM, iv | tag | ciphertext) with the id of the key that
// encrypted it, so SECRETS_KEY can be rotated row by row. The checks repeat the API's rules so
// no path (CLI, SQL by hand) stores a base id the worker would send in a URL unchecked.
// A kept failure remembers whether the client's settings were at fault (401/403, unknown base
// or table): a change of settings queues those again.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table client_airtable_settings (
      client_id uuid primary key references clients (id) on delete cascade,
      base_id text not null check (base_id ~ '^app[A-Za-z0-9]{14}$'),
      table_name text not null check (char_length(table_name) between 1 and 100),
      api_key_ciphertext bytea not null,
      key_id text not null,
      updated_at timestamptz not null default now()
    );
    create index client_airtable_settings_key_id on client_airtable_settings (key_id);
    alter table airtable_sync_failures add column configuration boolean not null default false;
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    alter table airtable_sync_failures drop column configuration;
    drop table client_airtable_settings;
  `.execute(db)
}
