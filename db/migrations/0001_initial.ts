import { type Kysely, sql } from 'kysely'

// Frozen: never edit a migration once it has shipped; add a new one instead.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table clients (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      created_at timestamptz not null default now()
    );

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null references clients (id) on delete cascade,
      key_hash bytea not null unique,
      key_prefix text not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    );
    create index api_keys_client on api_keys (client_id);

    create table leads (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null references clients (id) on delete cascade,
      external_id text not null,
      first_name text not null,
      last_name text,
      phone text,
      email text,
      tags text[] not null default '{}',
      engagement_level text check (engagement_level in ('high', 'medium', 'low')),
      icp_score smallint check (icp_score between 0 and 100),
      opted_out boolean not null default false,
      airtable_record_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- Cap order as one ascending key: highest icp_score first, nulls last.
      enroll_rank smallint generated always as (-coalesce(icp_score, -1)) stored,
      unique (client_id, external_id)
    );
    -- Covers enrollment scans in cap order: every column a targeting reads rides along (icp
    -- bounds are enroll_rank ranges), so matching reads no heap pages (index-only scan).
    create index leads_client_rank on leads (client_id, enroll_rank, created_at, id) include (opted_out, engagement_level, tags);
    create index leads_client_created on leads (client_id, created_at, id);
    create index leads_tags on leads using gin (tags);

    create table campaigns (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null references clients (id) on delete cascade,
      name text not null,
      status text not null check (status in ('scheduled', 'active', 'completed', 'expired', 'cancelled')),
      targeting jsonb not null,
      messages jsonb not null,
      total_delay_minutes integer not null check (total_delay_minutes >= 0),
      start_at timestamptz,
      max_leads_to_enroll integer check (max_leads_to_enroll >= 1),
      leads_enrolled integer not null default 0
        check (leads_enrolled >= 0 and (max_leads_to_enroll is null or leads_enrolled <= max_leads_to_enroll)),
      -- true while a time-budget stop left matching leads for the next activation tick
      enrollment_pending boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      activated_at timestamptz,
      ended_at timestamptz
    );
    create index campaigns_client_created on campaigns (client_id, created_at, id);
    create index campaigns_scheduled_due on campaigns (start_at, created_at, id) where status = 'scheduled';
    create index campaigns_enrollment_pending on campaigns (created_at, id) where status = 'active' and enrollment_pending;
    create index campaigns_active on campaigns (created_at, id) where status = 'active';

    create table enrollments (
      campaign_id uuid not null references campaigns (id) on delete cascade,
      lead_id uuid not null references leads (id) on delete cascade,
      client_id uuid not null,
      status text not null default 'active' check (status in ('active', 'completed', 'stopped')),
      enrolled_at timestamptz not null default now(),
      completes_at timestamptz not null,
      ended_at timestamptz,
      -- never twice in one campaign
      primary key (campaign_id, lead_id)
    );
    -- at most one active enrollment per lead, across all campaigns
    create unique index enrollments_one_active_per_lead on enrollments (lead_id) where status = 'active';
    create index enrollments_active_due on enrollments (client_id, completes_at) where status = 'active';

    create table idempotency_keys (
      client_id uuid not null references clients (id) on delete cascade,
      scope text not null,
      key text not null,
      request_hash text not null,
      state text not null check (state in ('running', 'done')),
      response_status integer,
      response_body jsonb,
      created_at timestamptz not null default now(),
      primary key (client_id, scope, key)
    );
    create index idempotency_keys_created on idempotency_keys (created_at);
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop table idempotency_keys, enrollments, campaigns, leads, api_keys, clients`.execute(db)
}
