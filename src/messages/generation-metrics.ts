import client from 'prom-client'
import type { Metrics } from '../observability/metrics.js'
import type { TokenUsage } from './schemas.js'

export type GenerationOutcome = 'success' | 'fallback' | 'failure'

/** Token spend and outcomes of message generation, on the context's /metrics registry. */
export function createGenerationMetrics (metrics: Metrics) {
  const tokens = new client.Counter({
    name: 'message_generation_tokens_total',
    help: 'Azure OpenAI tokens billed for message generation, by deployment and kind (reasoning is part of completion)',
    labelNames: ['deployment', 'kind'] as const,
    registers: [metrics.registry]
  })
  const outcomes = new client.Counter({
    name: 'message_generations_total',
    help: 'Message generation requests by outcome: success, fallback (answered by the fallback after the primary failed), failure',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry]
  })
  return {
    recordTokens: (deployment: string, usage: TokenUsage) => {
      tokens.inc({ deployment, kind: 'prompt' }, usage.promptTokens)
      tokens.inc({ deployment, kind: 'completion' }, usage.completionTokens)
      tokens.inc({ deployment, kind: 'reasoning' }, usage.reasoningTokens)
    },
    recordOutcome: (outcome: GenerationOutcome) => { outcomes.inc({ outcome }) }
  }
}
export type GenerationMetrics = ReturnType<typeof createGenerationMetrics>
