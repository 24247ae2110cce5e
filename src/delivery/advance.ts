import { type RawBuilder, sql } from 'kysely'

/**
 * SQL (for a WITH list) that moves enrollments on once a message became final. `finals` names a
 * CTE of (campaign_id, lead_id, step, stop): stop means the delivery failed for good and the
 * enrollment stops (delivery_failed); otherwise the next message is due its delay after now, or,
 * after the last one, the enrollment is completed. completesAt becomes when the last message is
 * planned from here. Only the enrollment still waiting on that step moves (a repeat does nothing).
 * Returns (campaign_id, lead_id, status) of each enrollment moved.
 */
export function advanceEnrollments (finals: string): RawBuilder<unknown> {
  const f = sql.table(finals)
  return sql`update enrollments e set
      status = case when f.stop then 'stopped' when f.step + 1 >= jsonb_array_length(c.messages) then 'completed' else 'active' end,
      stop_reason = case when f.stop then 'delivery_failed' end,
      ended_at = case when f.stop or f.step + 1 >= jsonb_array_length(c.messages) then now() end,
      next_step = case when f.stop or f.step + 1 >= jsonb_array_length(c.messages) then null else f.step + 1 end,
      next_due_at = case when f.stop or f.step + 1 >= jsonb_array_length(c.messages) then null
        else now() + make_interval(mins => (c.messages->(f.step + 1)->>'delayMinutes')::int) end,
      completes_at = case when f.stop then e.completes_at
        else now() + make_interval(mins => coalesce((select sum((m.value->>'delayMinutes')::int)::int from jsonb_array_elements(c.messages) with ordinality m (value, i) where m.i > f.step + 1), 0)) end
    from ${f} f join campaigns c on c.id = f.campaign_id
    where e.campaign_id = f.campaign_id and e.lead_id = f.lead_id and e.status = 'active' and e.next_step = f.step
    returning e.campaign_id, e.lead_id, e.status`
}
