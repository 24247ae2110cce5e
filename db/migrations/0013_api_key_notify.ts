import { type Kysely, sql } from 'kysely'

// Frozen. Every replica caches API key → client in process; a key revoked, changed or deleted
// (also through a client's cascade, or by hand in SQL) is announced on this channel at commit,
// so each replica drops it from its cache at once.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create function api_keys_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('api_keys_changed', encode(old.key_hash, 'hex'));
      return null;
    end $$;
    create trigger api_keys_notify_change after update or delete on api_keys
      for each row execute function api_keys_notify_change();
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger api_keys_notify_change on api_keys; drop function api_keys_notify_change()`.execute(db)
}
