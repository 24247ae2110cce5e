import { type Kysely, sql } from 'kysely'
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js'
import { pino } from 'pino'

// Frozen. Phones in E.164, the opt-out audit, stop-on-reply, and the inbound message log.

const BATCH = 10_000

/** E.164 of a stored phone, or undefined when it cannot be read (the same rule as src/leads/phone.ts, frozen here). */
function toE164 (value: string, region: CountryCode): string | undefined {
  const parsed = parsePhoneNumberFromString(value.trim(), { defaultCountry: region, extract: false })
  if (parsed === undefined || parsed.ext !== undefined || !parsed.isPossible()) return undefined
  return parsed.number
}

/**
 * Rewrites stored phones to E.164, in batches by id. One that cannot be read is kept as it was
 * (never dropped: someone has to fix it) and counted in the log line; senders never get it.
 * A migration may not import the config module, so it reads the one variable it needs itself,
 * with the same default (the service validates it at start).
 */
async function normalizePhones (db: Kysely<any>): Promise<{ rewritten: number, unreadable: number }> {
  const configured = process.env.DEFAULT_PHONE_REGION
  const region = configured !== undefined && configured !== '' && isSupportedCountry(configured) ? configured : 'US'
  let rewritten = 0
  let unreadable = 0
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const { rows } = await sql<{ id: string, phone: string }>`
      select id, phone from leads where phone is not null and id > ${after}::uuid order by id limit ${BATCH}`.execute(db)
    if (rows.length === 0) break
    after = rows[rows.length - 1]!.id
    const changed: Array<{ id: string, phone: string }> = []
    for (const row of rows) {
      const e164 = toE164(row.phone, region)
      if (e164 === undefined) unreadable++
      else if (e164 !== row.phone) changed.push({ id: row.id, phone: e164 })
    }
    if (changed.length === 0) continue
    // A change of form, not of value: updated_at is kept.
    await sql`
      update leads l set phone = c.phone
      from unnest(${changed.map(c => c.id)}::uuid[], ${changed.map(c => c.phone)}::text[]) as c (id, phone)
      where l.id = c.id`.execute(db)
    rewritten += changed.length
  }
  return { rewritten, unreadable }
}

export async function up (db: Kysely<any>): Promise<void> {
  const { rewritten, unreadable } = await normalizePhones(db)
  pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'campaign-service' } })
    .info({ migration: '0012_phones_inbound', rewritten, unreadable }, `phones in E.164: ${rewritten} rewritten, ${unreadable} unreadable kept as they were (never sent to)`)
  await sql`
    -- An inbound message finds its leads with one probe per client.
    create index leads_client_phone on leads (client_id, phone) where phone is not null;

    -- Leads opted out before this migration keep null: their time and source are not known.
    alter table leads
      add column opted_out_at timestamptz,
      add column opt_out_source text check (opt_out_source in ('api', 'inbound'));

    alter table campaigns add column stop_on_reply boolean not null default true;

    create table inbound_messages (
      id uuid primary key,
      client_id uuid not null references clients (id) on delete cascade,
      from_phone text not null,
      body text not null,
      action text not null check (action in ('opted_out', 'opted_in', 'help', 'reply', 'unknown_sender')),
      lead_ids uuid[] not null default '{}',
      stopped_campaign_ids uuid[] not null default '{}',
      stopped_enrollments integer not null default 0,
      received_at timestamptz not null,
      processed_at timestamptz not null default now()
    );
    create index inbound_messages_client_received on inbound_messages (client_id, received_at, id);
    -- A lead's conversation (?leadId=) and a campaign's replies and opt-outs (stats).
    create index inbound_messages_lead_ids on inbound_messages using gin (lead_ids);
    create index inbound_messages_stopped_campaigns on inbound_messages using gin (stopped_campaign_ids);
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  // Phones stay in E.164: the earlier forms are not kept, and E.164 reads fine without this.
  await sql`
    drop table inbound_messages;
    alter table campaigns drop column stop_on_reply;
    alter table leads drop column opt_out_source, drop column opted_out_at;
    drop index leads_client_phone;
  `.execute(db)
}
