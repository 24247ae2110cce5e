import { type RawBuilder, sql } from 'kysely'
import type { Targeting } from '../campaigns/schemas.js'

// Targeting as SQL over `leads l`. One definition serves enrollment, preview and counts, so
// what a preview promises is what enrollment does.

/** The targeting parts only (no opt-out rule): a lead of `clientId` that satisfies every given part. */
export function targetingCondition (clientId: string, targeting: Targeting): RawBuilder<boolean> {
  const parts: Array<RawBuilder<unknown>> = [sql`l.client_id = ${clientId}`]
  if (targeting.tags !== undefined && targeting.tags.length > 0) {
    parts.push(targeting.tagMatch === 'all'
      ? sql`l.tags @> ${targeting.tags}::text[]`
      : sql`l.tags && ${targeting.tags}::text[]`)
  }
  if (targeting.engagementLevels !== undefined) parts.push(sql`l.engagement_level = any(${targeting.engagementLevels}::text[])`)
  if (targeting.icpScore?.min !== undefined) parts.push(sql`l.icp_score >= ${targeting.icpScore.min}`)
  if (targeting.icpScore?.max !== undefined) parts.push(sql`l.icp_score <= ${targeting.icpScore.max}`)
  if (targeting.createdAfter !== undefined) parts.push(sql`l.created_at >= ${targeting.createdAfter}::timestamptz`)
  if (targeting.createdBefore !== undefined) parts.push(sql`l.created_at <= ${targeting.createdBefore}::timestamptz`)
  return sql<boolean>`(${sql.join(parts, sql` and `)})`
}

/** A lead active in any campaign right now (an enrollment past completesAt no longer counts). */
export const activeSomewhere = sql<boolean>`exists (select 1 from enrollments a where a.lead_id = l.id and a.status = 'active' and a.completes_at > now())`

/**
 * Matches and may be enrolled in `campaignId` now: not opted out, not active anywhere, never
 * enrolled in this campaign before.
 */
export function eligibleCondition (clientId: string, campaignId: string, targeting: Targeting): RawBuilder<boolean> {
  return sql<boolean>`(${targetingCondition(clientId, targeting)}
    and not l.opted_out
    and not exists (select 1 from enrollments a where a.lead_id = l.id and a.status = 'active')
    and not exists (select 1 from enrollments p where p.campaign_id = ${campaignId} and p.lead_id = l.id))`
}

/** The cap order: highest icpScore first (nulls last), then oldest createdAt, then id. */
export const CAP_ORDER = sql`l.enroll_rank, l.created_at, l.id`
