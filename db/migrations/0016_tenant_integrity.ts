import { type Kysely, sql } from 'kysely'

// Frozen. What the foreign keys dropped in 0004 held, back without their row-by-row cost: every
// enrollment and delivery names a lead and a campaign of its own client. One check per INSERT
// statement (a probe per row, no lead row locked) instead of two RI queries and a FOR KEY SHARE
// lock per row; the keys it relies on cannot change afterwards. Deletes keep cascading (0004's
// triggers for enrollments, the foreign keys for deliveries): no API deletes a lead, a campaign
// or a client, and by hand they take what hangs off them.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create function tenant_rows_check() returns trigger language plpgsql as $$
    declare
      stray record;
    begin
      -- Under the client lock, as the cascade: a lead or campaign deleted meanwhile is either
      -- gone for the check below, or its cascade runs after this commit and takes these rows.
      if tg_table_name = 'enrollments' then
        perform pg_advisory_xact_lock(hashtextextended('client:' || client_id::text, 0))
        from (select distinct client_id from added order by client_id) clients;
      end if;
      -- Scalar subqueries keep the plan an index probe per lead (a join may be planned as a
      -- merge over the whole leads index); a campaign is probed once per statement.
      if current_setting('transaction_isolation') = 'read committed' then
        select a.campaign_id, a.lead_id, a.client_id into stray from added a
        where (select l.client_id from leads l where l.id = a.lead_id) is distinct from a.client_id limit 1;
        if not found then
          select a.campaign_id, null::uuid as lead_id, a.client_id into stray from (select distinct campaign_id, client_id from added) a
          where (select c.client_id from campaigns c where c.id = a.campaign_id) is distinct from a.client_id limit 1;
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
    end $$;
    create trigger enrollments_same_client after insert on enrollments
      referencing new table as added for each statement execute function tenant_rows_check();
    create trigger deliveries_same_client after insert on deliveries
      referencing new table as added for each statement execute function tenant_rows_check();

    -- The keys the check relies on stay as inserted (a foreign key would refuse the change too).
    create function tenant_keys_fixed() returns trigger language plpgsql as $$
    begin
      raise exception using errcode = 'foreign_key_violation', table = tg_table_name, constraint = tg_table_name || '_keys_fixed',
        message = format('%s: a row''s id, client, lead or campaign cannot change', tg_table_name);
    end $$;
    create trigger leads_keys_fixed before update of id, client_id on leads for each row
      when ((old.id, old.client_id) is distinct from (new.id, new.client_id)) execute function tenant_keys_fixed();
    create trigger campaigns_keys_fixed before update of id, client_id on campaigns for each row
      when ((old.id, old.client_id) is distinct from (new.id, new.client_id)) execute function tenant_keys_fixed();
    create trigger enrollments_keys_fixed before update of client_id, lead_id, campaign_id on enrollments for each row
      when ((old.client_id, old.lead_id, old.campaign_id) is distinct from (new.client_id, new.lead_id, new.campaign_id)) execute function tenant_keys_fixed();
    create trigger deliveries_keys_fixed before update of client_id, lead_id, campaign_id on deliveries for each row
      when ((old.client_id, old.lead_id, old.campaign_id) is distinct from (new.client_id, new.lead_id, new.campaign_id)) execute function tenant_keys_fixed();
  `.execute(db)

  // What VALIDATE CONSTRAINT would do, after the triggers so no row slips in between: the
  // migrations run in one transaction, and creating a trigger holds off writes to its table.
  const { rows } = await sql<{ enrollments: number, deliveries: number }>`
    select
      (select count(*)::int from enrollments e
        where not exists (select 1 from leads l where l.id = e.lead_id and l.client_id = e.client_id)
          or not exists (select 1 from campaigns c where c.id = e.campaign_id and c.client_id = e.client_id)) as enrollments,
      (select count(*)::int from deliveries d
        where not exists (select 1 from leads l where l.id = d.lead_id and l.client_id = d.client_id)
          or not exists (select 1 from campaigns c where c.id = d.campaign_id and c.client_id = d.client_id)) as deliveries`.execute(db)
  const stray = rows[0]
  if (stray !== undefined && stray.enrollments + stray.deliveries > 0) {
    throw new Error(`${stray.enrollments} enrollments and ${stray.deliveries} deliveries name a lead or a campaign missing or of another client; ` +
      'delete or fix them by hand, then migrate again')
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger deliveries_keys_fixed on deliveries;
    drop trigger enrollments_keys_fixed on enrollments;
    drop trigger campaigns_keys_fixed on campaigns;
    drop trigger leads_keys_fixed on leads;
    drop function tenant_keys_fixed();
    drop trigger deliveries_same_client on deliveries;
    drop trigger enrollments_same_client on enrollments;
    drop function tenant_rows_check();
  `.execute(db)
}
