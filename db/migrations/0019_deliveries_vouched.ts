import { type Kysely, sql } from 'kysely'

// Frozen. The deliveries' foreign keys go the way of the enrollments' (0004): every delivery
// inserted ran two RI queries, the one on leads locking the lead row FOR KEY SHARE (a write to the
// leads heap and the WAL per delivery). The activation tick inserts a first delivery for every
// lead it enrolls, the delivery tick one per message that falls due.
//
// What the keys held stays held:
// - Inserts: 0016's statement check (every delivery names a lead and a campaign of its own
//   client), and a delivery insert not vouched for (below) locks each of its leads and campaigns
//   FOR KEY SHARE as the keys did: a delete of either waits for it, or it finds the row gone.
// - The service's two writers vouch for their rows, as the engine does for enrollments (0018):
//   campaign_service.delivery_leads_vouched = '<client id> <transaction id>', set for the
//   transaction and consumed by its next INSERT into deliveries (a value set for a session or a
//   role names no current transaction and vouches for nothing). Their rows are still checked,
//   lead by lead, only not locked: the engine inserts first deliveries of leads it selected under
//   the client lock (the cascade takes it first); materialize.ts inserts the deliveries of
//   enrollments it row-locked (the cascade's delete of those enrollments waits for it).
// - Deletes: one cascade function, enrollments and then deliveries, two statements under the
//   client lock. The deliveries delete, a statement after the enrollments delete that waited for
//   materialize's row lock, sees the delivery that transaction committed (read committed: each
//   statement reads what was committed before it). A transaction in repeatable read or
//   serializable would read its old snapshot and miss such rows: the cascade refuses to run there.
const CHECK_WITH_VOUCHED_DELIVERIES = sql`
  create or replace function tenant_rows_check() returns trigger language plpgsql as $$
  declare
    stray record;
    vouched text;
    client_vouched text;
    read_committed boolean;
  begin
    -- Enrollments: under the client lock, as the cascade: a lead or campaign deleted meanwhile is
    -- either gone for the check below, or its cascade runs after this commit and takes these rows.
    if tg_table_name = 'enrollments' then
      perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
      from (select distinct client_id from added order by client_id) clients;
      vouched := current_setting('campaign_service.enrollment_leads_vouched', true);
      if vouched <> '' then
        perform set_config('campaign_service.enrollment_leads_vouched', '', true);
      end if;
    else
      client_vouched := current_setting('campaign_service.delivery_leads_vouched', true);
      if client_vouched <> '' then
        perform set_config('campaign_service.delivery_leads_vouched', '', true);
        -- '<client id> <transaction id>': only this transaction's own vouch counts.
        if split_part(client_vouched, ' ', 2) = txid_current()::text then
          client_vouched := split_part(client_vouched, ' ', 1);
        else
          client_vouched := '';
        end if;
      end if;
    end if;
    read_committed := current_setting('transaction_isolation') = 'read committed';
    -- Scalar subqueries keep the plan an index probe per lead (a join may be planned as a
    -- merge over the whole leads index); a campaign is probed once per statement.
    if read_committed and vouched <> '' and not exists (select 1 from added a where a.campaign_id::text || ' ' || a.client_id::text <> vouched) then
      -- The engine's own enrollments: their leads were selected by client (see 0018).
      select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select campaign_id, client_id from added limit 1) a
      where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id;
    elsif read_committed and (tg_table_name = 'enrollments'
        or (client_vouched <> '' and not exists (select 1 from added a where a.client_id::text <> client_vouched))) then
      -- Enrollments (under the client lock), and deliveries of the service's own writers (see
      -- above): checked, not locked.
      select a.campaign_id, a.lead_id, a.client_id into stray from added a
      where (select l.client_id from leads l where l.id = a.lead_id) is distinct from a.client_id limit 1;
      if not found then
        select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
        where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id limit 1;
      end if;
    else
      -- Deliveries not vouched for, or a snapshot other than read committed (one older than a
      -- committed delete would still see the row): lock each as a foreign key does, which waits
      -- for a delete in progress, or fails such a transaction with a serialization error.
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

// 0018's function as it was.
const CHECK_OF_0018 = sql`
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

// 0004's cascade as it was.
const CASCADE_OF_0004 = sql`
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
  end $$`

export async function up (db: Kysely<any>): Promise<void> {
  await CHECK_WITH_VOUCHED_DELIVERIES.execute(db)
  await sql`
    alter table deliveries drop constraint deliveries_lead_id_fkey, drop constraint deliveries_campaign_id_fkey;

    create function cascade_delete() returns trigger language plpgsql as $$
    begin
      if current_setting('transaction_isolation') <> 'read committed' then
        raise exception using errcode = 'feature_not_supported',
          message = format('delete from %s in a read committed transaction: its cascade to enrollments and deliveries must read the rows committed up to each of its statements', tg_table_name);
      end if;
      perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
      from (select distinct client_id from gone order by client_id) clients;
      if tg_table_name = 'leads' then
        delete from enrollments e using gone g where e.lead_id = g.id;
        delete from deliveries d using gone g where d.lead_id = g.id;
      else
        delete from enrollments e using gone g where e.campaign_id = g.id;
        delete from deliveries d using gone g where d.campaign_id = g.id;
      end if;
      return null;
    end $$;
    drop trigger leads_cascade_enrollments on leads;
    drop trigger campaigns_cascade_enrollments on campaigns;
    drop function enrollments_cascade_delete();
    create trigger leads_cascade_delete after delete on leads
      referencing old table as gone for each statement execute function cascade_delete();
    create trigger campaigns_cascade_delete after delete on campaigns
      referencing old table as gone for each statement execute function cascade_delete();
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await CASCADE_OF_0004.execute(db)
  await sql`
    drop trigger leads_cascade_delete on leads;
    drop trigger campaigns_cascade_delete on campaigns;
    drop function cascade_delete();
    create trigger leads_cascade_enrollments after delete on leads
      referencing old table as gone for each statement execute function enrollments_cascade_delete();
    create trigger campaigns_cascade_enrollments after delete on campaigns
      referencing old table as gone for each statement execute function enrollments_cascade_delete();
    -- Rows the keys would refuse go first (none, while every writer goes through the check).
    delete from deliveries d where not exists (select 1 from leads l where l.id = d.lead_id)
      or not exists (select 1 from campaigns c where c.id = d.campaign_id);
    alter table deliveries
      add constraint deliveries_campaign_id_fkey foreign key (campaign_id) references campaigns (id) on delete cascade,
      add constraint deliveries_lead_id_fkey foreign key (lead_id) references leads (id) on delete cascade;
  `.execute(db)
  await CHECK_OF_0018.execute(db)
}
