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

/**
 * What enrolling a campaign with this targeting would do now, in one pass over the audience.
 * A left join rather than a correlated probe per lead: at most one active enrollment per lead
 * (a unique index), so it adds no rows, and the planner may hash the active enrollments when a
 * client has many (a probe per lead took 7.7 s at 1M leads all active elsewhere).
 */
export async function countAudience (db: Queryable, clientId: string, targeting: Targeting): Promise<PreviewCounts> {
  const { rows } = await sql<PreviewCounts>`
    select count(*) filter (where not l.opted_out and a.lead_id is null)::int as "totalMatching",
           count(*) filter (where l.opted_out)::int as "optedOut",
           count(*) filter (where not l.opted_out and a.lead_id is not null)::int as "activeElsewhere"
    from leads l
    left join enrollments a on a.lead_id = l.id and a.status = 'active'
    where ${targetingCondition(clientId, targeting)}`.execute(db)
  return rows[0] ?? { totalMatching: 0, optedOut: 0, activeElsewhere: 0 }
}

/**
 * The first leads in cap order that would be enrolled. The ids come from the covering cap-order
 * index alone (no table read for leads that are skipped); only the chosen rows are read whole.
 */
export async function sampleAudience (db: Queryable, clientId: string, targeting: Targeting, limit: number): Promise<LeadRow[]> {
  const { rows } = await sql<LeadRow>`
    with picked as materialized (
      select l.id from leads l
      where ${targetingCondition(clientId, targeting)} and not l.opted_out and not ${activeSomewhere}
      order by ${CAP_ORDER} limit ${limit}
    )
    select l.* from picked join leads l on l.id = picked.id
    order by ${CAP_ORDER}`.execute(db)
  return rows
}
