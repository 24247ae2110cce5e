import { type Kysely, sql } from 'kysely'

// Frozen. What the campaign engine needs beyond the initial schema.
export async function up (db: Kysely<any>): Promise<void> {
  // "does this campaign still have active enrollments?" (completion, cancel) without scanning
  // every enrollment the campaign ever made.
  await sql`create index enrollments_campaign_active on enrollments (campaign_id) where status = 'active'`.execute(db)
  // "has this campaign an ended enrollment?" (matching.ts: only then is a lead's earlier
  // enrollment in the campaign probed); also the stopped rows a cancel hands to Airtable.
  // New rows are active, so enrolling never writes to it.
  await sql`create index enrollments_campaign_ended on enrollments (campaign_id) where status <> 'active'`.execute(db)

  // Row-by-row foreign keys on enrollments cost more than the insert itself: each enrolled row
  // runs two RI queries, and the one on leads locks the lead row FOR KEY SHARE, writing to the
  // leads heap and the WAL for every enrolled lead (bench: 38 s instead of 20 s for 1M leads).
  // Inserts need no check: the engine inserts only leads it selects in the same statement and
  // the campaign it has just read, under the client lock. Deletes keep their cascade, set-based:
  // one statement per delete, under the same client lock as enrollment (key as in
  // src/db/locks.ts), so a chunk in flight commits first and its rows are deleted too.
  await sql`
    alter table enrollments drop constraint enrollments_lead_id_fkey, drop constraint enrollments_campaign_id_fkey;

    create function enrollments_cascade_delete() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
      from (select distinct client_id from gone order by client_id) clients;
      if tg_table_name = 'leads' then
        delete from enrollments e using gone g where e.lead_id = g.id;
      else
        delete from enrollments e using gone g where e.campaign_id = g.id;
      end if;
      return null;
    end $$;
    create trigger leads_cascade_enrollments after delete on leads
      referencing old table as gone for each statement execute function enrollments_cascade_delete();
    create trigger campaigns_cascade_enrollments after delete on campaigns
      referencing old table as gone for each statement execute function enrollments_cascade_delete();
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger campaigns_cascade_enrollments on campaigns;
    drop trigger leads_cascade_enrollments on leads;
    drop function enrollments_cascade_delete();
    alter table enrollments
      add foreign key (campaign_id) references campaigns (id) on delete cascade,
      add foreign key (lead_id) references leads (id) on delete cascade;
    drop index enrollments_campaign_ended;
    drop index enrollments_campaign_active;
  `.execute(db)
}
