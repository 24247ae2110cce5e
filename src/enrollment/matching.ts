import { type RawBuilder, sql } from 'kysely'
import type { Targeting } from '../campaigns/schemas.js'

// Targeting as SQL over `leads l`. One definition serves enrollment, preview and counts, so
// what a preview promises is what enrollment does.

/** The targeting parts only (no opt-out rule): a lead of `clientId` that satisfies every given part. */
export function targetingCondition (clientId: string, targeting: Targeting): RawBuilder<boolean> {
  // The engine vouches to the tenant check that its leads are the client's (vouchForLeads): keep this part.
  const parts: Array<RawBuilder<unknown>> = [sql`l.client_id = ${clientId}`]
  if (targeting.tags !== undefined && targeting.tags.length > 0) {
    parts.push(targeting.tagMatch === 'all'
      ? sql`l.tags @> ${targeting.tags}::text[]`
      : sql`l.tags && ${targeting.tags}::text[]`)
  }
  if (targeting.engagementLevels !== undefined) parts.push(sql`l.engagement_level = any(${targeting.engagementLevels}::text[])`)
  const icp = targeting.icpScore
  if (icp?.min !== undefined || icp?.max !== undefined) {
    // As a range of enroll_rank (-icp_score; 1 for null, outside every range): an index range
    // on leads_client_rank rather than a filter, and no bound ever lets a null icp through.
    parts.push(sql`l.enroll_rank between ${-(icp.max ?? 100)} and ${-(icp.min ?? 0)}`)
  }
  if (targeting.createdAfter !== undefined) parts.push(sql`l.created_at >= ${targeting.createdAfter}::timestamptz`)
  if (targeting.createdBefore !== undefined) parts.push(sql`l.created_at <= ${targeting.createdBefore}::timestamptz`)
  return sql<boolean>`(${sql.join(parts, sql` and `)})`
}

/** A lead active in any campaign right now (until its last message is final, or it is stopped). */
export const activeSomewhere = sql<boolean>`exists (select 1 from enrollments a where a.lead_id = l.id and a.status = 'active')`

/**
 * Matches and may be enrolled in `campaignId` now: not opted out, not active anywhere, never
 * enrolled in this campaign before. An active enrollment in this campaign is already caught by
 * the first probe, so the second looks only at the campaign's ended (completed or stopped)
 * enrollments, through the partial index of those (migration 0006): on a first run it is empty.
 */
export function eligibleCondition (clientId: string, campaignId: string, targeting: Targeting, options: { probeEachLead?: boolean } = {}): RawBuilder<boolean> {
  // probeEachLead: offset 0 keeps the first test a probe of the one-active-enrollment index per
  // lead (a subplan, never turned into a join). As an anti-join, with the estimates of a table
  // filling fast, the planner hashed every active enrollment of every client for each chunk.
  return sql<boolean>`(${targetingCondition(clientId, targeting)}
    and not l.opted_out
    and not exists (select 1 from enrollments a where a.lead_id = l.id and a.status = 'active'${options.probeEachLead === true ? sql` offset 0` : sql``})
    and not exists (select 1 from enrollments p where p.campaign_id = ${campaignId} and p.lead_id = l.id and p.status <> 'active'))`
}

/** The cap order: highest icpScore first (nulls last), then oldest createdAt, then id. */
export const CAP_ORDER = sql`l.enroll_rank, l.created_at, l.id`
