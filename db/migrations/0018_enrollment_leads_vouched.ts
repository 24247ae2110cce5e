import { type Kysely, sql } from 'kysely'

// Frozen. 0016's check probed every new enrollment's lead (an index probe and a heap fetch of the
// lead per row). Enrolling 1M leads through the engine took 26–27 s of PostgreSQL CPU with it and
// 17–18 s without it, against 12–13 s for the bare INSERT ... SELECT (bench: ratio 1.23 → 1.99).
// The engine's INSERT ... SELECT already takes its leads `where l.client_id = <its client>` under
// the client lock, after which no lead can leave the client (0016's keys_fixed) nor be deleted
// without its cascade waiting for that lock: the probe only repeats what the statement selected.
//
// So the engine vouches for its own statement: in the chunk's transaction it sets
// campaign_service.enrollment_leads_vouched to '<campaign id> <client id>'. The next INSERT into
// enrollments reads it and clears it (one statement only), and when every row it added names
// exactly that campaign and client, its leads are not probed; the campaign is still probed, the
// client lock still taken. Rows naming anything else, a snapshot other than read committed, or
// no setting: the full check of 0016. The trade-off: a writer that sets the setting is trusted,
// as the engine is, to select its leads by that client; a bug there would not be caught here.
// No application code other than the engine sets it, and nothing sets it by accident (a custom
// setting under our own prefix, transaction-local, consumed by the first insert).
const CHECK_WITH_VOUCHED_LEADS = sql`
  create or replace function tenant_rows_check() returns trigger language plpgsql as $$
  declare
    stray record;
    vouched text;
  begin
    -- Under the client lock, as the cascade: a lead or campaign deleted meanwhile is either
    -- gone for the check below, or its cascade runs after this commit and takes these rows.
    if tg_table_name = 'enrollments' then
      perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
      from (select distinct client_id from added order by client_id) clients;
      vouched := current_setting('campaign_service.enrollment_leads_vouched', true);
      if vouched <> '' then
        perform set_config('campaign_service.enrollment_leads_vouched', '', true);
      end if;
    end if;
    -- Scalar subqueries keep the plan an index probe per lead (a join may be planned as a
    -- merge over the whole leads index); a campaign is probed once per statement.
    if current_setting('transaction_isolation') = 'read committed' then
      if vouched <> '' and not exists (select 1 from added a where a.campaign_id::text || ' ' || a.client_id::text <> vouched) then
        -- The engine's own statement: its leads were selected by client (see above).
        select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select campaign_id, client_id from added limit 1) a
        where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id;
      else
        select a.campaign_id, a.lead_id, a.client_id into stray from added a
        where (select l.client_id from leads l where l.id = a.lead_id) is distinct from a.client_id limit 1;
        if not found then
          select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
          where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id limit 1;
        end if;
      end if;
    else
      -- A snapshot older than a committed delete would still see the row: lock it as a
      -- foreign key does, which fails such a transaction with a serialization error.
      select a.campaign_id, a.lead_id, a.client_id into stray from added a
      where (select l.client_id from leads l where l.id = a.lead_id for key share) is distinct from a.client_id limit 1;
      if not found then
        select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
        where (select c.client_id from campaigns c where c.id = a.campaign_id for key share) is distinct from a.client_id limit 1;
      end if;
    end if;
    if found then
      raise exception using errcode = 'foreign_key_violation', table = tg_table_name, constraint = tg_table_name || '_same_client',
        message = format('%s: %s is not of client %s', tg_table_name, coalesce('lead ' || stray.lead_id, 'campaign ' || stray.campaign_id), stray.client_id);
    end if;
    return null;
  end $$`

// 0016's function as it was.
const CHECK_EVERY_LEAD = sql`
  create or replace function tenant_rows_check() returns trigger language plpgsql as $$
  declare
    stray record;
  begin
    if tg_table_name = 'enrollments' then
      perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
      from (select distinct client_id from added order by client_id) clients;
    end if;
    if current_setting('transaction_isolation') = 'read committed' then
      select a.campaign_id, a.lead_id, a.client_id into stray from added a
      where (select l.client_id from leads l where l.id = a.lead_id) is distinct from a.client_id limit 1;
      if not found then
        select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
        where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id limit 1;
      end if;
    else
      select a.campaign_id, a.lead_id, a.client_id into stray from added a
      where (select l.client_id from leads l where l.id = a.lead_id for key share) is distinct from a.client_id limit 1;
      if not found then
        select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
        where (select c.client_id from campaigns c where c.id = a.campaign_id for key share) is distinct from a.client_id limit 1;
      end if;
    end if;
    if found then
      raise exception using errcode = 'foreign_key_violation', table = tg_table_name, constraint = tg_table_name || '_same_client',
        message = format('%s: %s is not of client %s', tg_table_name, coalesce('lead ' || stray.lead_id, 'campaign ' || stray.campaign_id), stray.client_id);
    end if;
    return null;
  end $$`

export async function up (db: Kysely<any>): Promise<void> {
  await CHECK_WITH_VOUCHED_LEADS.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await CHECK_EVERY_LEAD.execute(db)
}
