import { type Kysely, sql } from 'kysely'

// Frozen. A claimed key carries the id of what its request creates (the campaign of a
// POST /v1/campaigns), fixed when the key is first claimed. A request that broke off after its
// campaign was committed, but before its answer was stored (the database went away), leaves the
// key running; when it is taken over as abandoned, the rerun finds that campaign by this id
// instead of creating a second one.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table idempotency_keys add column resource_id uuid not null default gen_random_uuid()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table idempotency_keys drop column resource_id`.execute(db)
}
