import { type Kysely, sql } from 'kysely'

// Frozen. Delivery: one row per message of an enrollment, created when it falls due (not at
// enrollment, which stays one INSERT per chunk). An active enrollment says which message comes
// next (next_step) and, until its delivery row exists, when that message is due before any send
// window applies (next_due_at); the row's creation clears next_due_at. An enrollment ends when its
// last message is final, not by the clock: the clock-completion indexes go.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table enrollments
      add column stop_reason text check (stop_reason in ('opted_out', 'campaign_cancelled', 'replied', 'delivery_failed')),
      add column next_step smallint check (next_step >= 0),
      add column next_due_at timestamptz;
    drop index enrollments_due;
    drop index enrollments_active_due;
    -- Messages to create now, per client (claims are per client; the tick walks the clients).
    -- Rows whose delivery exists have next_due_at null and stay out of it.
    create index enrollments_next_due on enrollments (client_id, next_due_at) where status = 'active' and next_due_at is not null;

    create table deliveries (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null,
      campaign_id uuid not null references campaigns (id) on delete cascade,
      lead_id uuid not null references leads (id) on delete cascade,
      step smallint not null check (step >= 0),
      status text not null default 'pending' check (status in ('pending', 'leased', 'sent', 'failed', 'skipped')),
      due_at timestamptz not null,
      attempts integer not null default 0 check (attempts >= 0),
      lease_expires_at timestamptz,
      -- What was handed out: the phone and the body rendered at claim time.
      recipient text,
      body text,
      sent_at timestamptz,
      provider_message_id text,
      error text,
      skip_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (campaign_id, lead_id, step)
    );
    -- Claims (oldest due first, per client), stale skips and the oldest-due gauge read only open rows.
    create index deliveries_open_due on deliveries (client_id, due_at) where status in ('pending', 'leased');
    create index deliveries_client_created on deliveries (client_id, created_at, id);
    create index deliveries_lead on deliveries (lead_id);

    -- Active enrollments made before deliveries existed: nothing was sent, so message 0 is due
    -- delayMinutes[0] after enrollment (a long-past one is skipped as stale by the next tick).
    update enrollments set next_step = 0 where status = 'active';
    insert into deliveries (client_id, campaign_id, lead_id, step, due_at)
    select e.client_id, e.campaign_id, e.lead_id, 0,
      e.enrolled_at + make_interval(mins => coalesce((c.messages->0->>'delayMinutes')::int, 0))
    from enrollments e join campaigns c on c.id = e.campaign_id
    where e.status = 'active';
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop table deliveries;
    drop index enrollments_next_due;
    create index enrollments_due on enrollments (completes_at) where status = 'active';
    create index enrollments_active_due on enrollments (client_id, completes_at) where status = 'active';
    alter table enrollments drop column next_due_at, drop column next_step, drop column stop_reason;
  `.execute(db)
}
