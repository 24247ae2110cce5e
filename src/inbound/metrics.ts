import client from 'prom-client'
import type { Metrics } from '../observability/metrics.js'
import type { InboundAction } from '../db/schema.js'

const ACTIONS: InboundAction[] = ['opted_out', 'opted_in', 'help', 'reply', 'unknown_sender']

/** inbound_messages_total{action}: messages applied (an idempotent replay is not counted again). */
export function createInboundMetrics (metrics: Metrics) {
  const messages = new client.Counter({
    name: 'inbound_messages_total',
    help: 'Inbound messages applied, by the action they caused',
    labelNames: ['action'] as const,
    registers: [metrics.registry]
  })
  // Every series exists from the start, so an alert sees the first increment.
  for (const action of ACTIONS) messages.inc({ action }, 0)
  return { messages }
}
