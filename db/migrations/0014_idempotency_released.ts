import { type Kysely, sql } from 'kysely'

// Frozen. A request that fails no longer deletes its Idempotency-Key (a retry then claimed a new
// key with a new resource id and created a second campaign when the failed attempt's campaign
// had been committed after all): it marks the key released. A released key is taken over at once
// by the next request with that key, keeping its resource id.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table idempotency_keys drop constraint idempotency_keys_state_check;
    alter table idempotency_keys add constraint idempotency_keys_state_check check (state in ('running', 'done', 'released'));
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    delete from idempotency_keys where state = 'released';
    alter table idempotency_keys drop constraint idempotency_keys_state_check;
    alter table idempotency_keys add constraint idempotency_keys_state_check check (state in ('running', 'done'));
  `.execute(db)
}
