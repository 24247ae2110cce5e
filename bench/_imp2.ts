import pg from 'pg'
import { migrateToLatest } from '../src/db/migrator.js'
import { createDatabase } from '../src/db/database.js'
import { createBenchDatabase } from './bench-database.js'
const database = await createBenchDatabase()
const { db: mdb } = createDatabase(database.url, 2); await migrateToLatest(mdb, database.url); await mdb.destroy()
const pool = new pg.Pool({ connectionString: database.url, max: 2 })
const TAGS = [['vip', 'kajabi'], ['kajabi'], ['webinar', 'kajabi'], []]
const variants: Record<string, string> = {
  current: `insert into leads (client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, opted_out, airtable_record_id, timezone, created_at)
    select $2, item->>'externalId', item->>'firstName', item->>'lastName', item->>'phone', item->>'email',
      coalesce(array(select jsonb_array_elements_text(item->'tags')), '{}'),
      item->>'engagementLevel', (item->>'icpScore')::smallint, coalesce((item->>'optedOut')::boolean, false),
      item->>'airtableRecordId', item->>'timezone', coalesce((item->>'createdAt')::timestamptz, now())
    from jsonb_array_elements($1::jsonb) as item
    on conflict (client_id, external_id) do nothing returning id, opted_out`,
  recordset: `insert into leads (client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, opted_out, airtable_record_id, timezone, created_at)
    select $2, r."externalId", r."firstName", r."lastName", r.phone, r.email, coalesce(r.tags, '{}'), r."engagementLevel", r."icpScore", coalesce(r."optedOut", false), r."airtableRecordId", r.timezone, coalesce(r."createdAt", now())
    from jsonb_to_recordset($1::jsonb) as r("externalId" text, "firstName" text, "lastName" text, phone text, email text, tags text[], "engagementLevel" text, "icpScore" smallint, "optedOut" boolean, "airtableRecordId" text, timezone text, "createdAt" timestamptz)
    on conflict (client_id, external_id) do nothing returning id, opted_out`,
  recordsetJson: `insert into leads (client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, opted_out, airtable_record_id, timezone, created_at)
    select $2, r."externalId", r."firstName", r."lastName", r.phone, r.email, coalesce(r.tags, '{}'), r."engagementLevel", r."icpScore", coalesce(r."optedOut", false), r."airtableRecordId", r.timezone, coalesce(r."createdAt", now())
    from json_to_recordset($1::json) as r("externalId" text, "firstName" text, "lastName" text, phone text, email text, tags text[], "engagementLevel" text, "icpScore" smallint, "optedOut" boolean, "airtableRecordId" text, timezone text, "createdAt" timestamptz)
    on conflict (client_id, external_id) do nothing returning id, opted_out`,
  recordsetPlain: `insert into leads (client_id, external_id, first_name, last_name, phone, email, tags, engagement_level, icp_score, opted_out, airtable_record_id, timezone, created_at)
    select $2, r."externalId", r."firstName", r."lastName", r.phone, r.email, coalesce(r.tags, '{}'), r."engagementLevel", r."icpScore", coalesce(r."optedOut", false), r."airtableRecordId", r.timezone, coalesce(r."createdAt", now())
    from json_to_recordset($1::json) as r("externalId" text, "firstName" text, "lastName" text, phone text, email text, tags text[], "engagementLevel" text, "icpScore" smallint, "optedOut" boolean, "airtableRecordId" text, timezone text, "createdAt" timestamptz)
    returning id, opted_out`
}
const totals: Record<string, number> = {}
for (let round = 0; round < 3; round++) {
  for (const [name, text] of Object.entries(variants)) {
    const client = (await pool.query("insert into clients (name) values ('x') returning id")).rows[0].id
    for (let call = 0; call < 2; call++) {
      const leads = Array.from({ length: 5000 }, (_, k) => { const i = call * 5000 + k; return { externalId: `crm-${i}`, firstName: `F${i}`, lastName: `L${i}`, phone: `+1202555${String(i % 10000).padStart(4, '0')}`, email: `l${i}@example.com`, tags: TAGS[i % 4], engagementLevel: 'high', icpScore: i % 101 } })
      const t0 = performance.now()
      await pool.query(text, [JSON.stringify(leads), client])
      totals[name] = (totals[name] ?? 0) + performance.now() - t0
    }
  }
}
console.log(totals)
await pool.end(); await database.drop()
