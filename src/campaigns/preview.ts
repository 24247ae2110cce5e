import { sql } from 'kysely'
import type { Queryable } from '../db/database.js'
import type { LeadRow } from '../leads/repository.js'
import { activeSomewhere, CAP_ORDER, targetingCondition } from '../enrollment/matching.js'
import type { Targeting } from './schemas.js'

export interface PreviewCounts {
  totalMatching: number
  optedOut: number
  activeElsewhere: number
}

/** What enrolling a campaign with this targeting would do now, in one pass over the audience. */
export async function countAudience (db: Queryable, clientId: string, targeting: Targeting): Promise<PreviewCounts> {
  const { rows } = await sql<PreviewCounts>`
    select count(*) filter (where not x.opted_out and not x.active)::int as "totalMatching",
           count(*) filter (where x.opted_out)::int as "optedOut",
           count(*) filter (where not x.opted_out and x.active)::int as "activeElsewhere"
    from (select l.opted_out, ${activeSomewhere} as active from leads l where ${targetingCondition(clientId, targeting)}) x`.execute(db)
  return rows[0] ?? { totalMatching: 0, optedOut: 0, activeElsewhere: 0 }
}

/** The first leads in cap order that would be enrolled. */
export async function sampleAudience (db: Queryable, clientId: string, targeting: Targeting, limit: number): Promise<LeadRow[]> {
  const { rows } = await sql<LeadRow>`
    select l.* from leads l
    where ${targetingCondition(clientId, targeting)} and not l.opted_out and not ${activeSomewhere}
    order by ${CAP_ORDER} limit ${limit}`.execute(db)
  return rows
}
