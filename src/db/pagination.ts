import { type RawBuilder, sql } from 'kysely'

/**
 * Keyset pagination after the row whose id is the cursor, ordered by (orderColumn, id) and
 * scoped to the client: a cursor from another client's list matches nothing.
 */
export function afterCursor (table: 'leads' | 'campaigns' | 'airtable_sync_failures' | 'inbound_messages', orderColumn: string, cursor: string, clientId: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(orderColumn)}, id) > (
    select c.${sql.ref(orderColumn)}, c.id from ${sql.table(table)} c where c.id = ${cursor} and c.client_id = ${clientId})`
}
