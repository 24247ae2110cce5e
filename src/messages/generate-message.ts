import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { badGateway, serviceUnavailable, unprocessable, type HttpProblem } from '../http/problem.js'
import { RETRYABLE, callDeployment, createAzureClient, type DeploymentTarget, type FailureReason } from './azure-client.js'
import type { GenerationMetrics } from './generation-metrics.js'
import { MAX_MESSAGE_BODY } from '../campaigns/schemas.js'
import { placeholderProblem } from '../campaigns/rules.js'
import { cleanModelOutput } from './message-text.js'
import { buildChatMessages } from './prompt.js'
import { DEFAULT_MAX_LENGTH, type GenerateMessageBody, type GeneratedMessage, type ModelChoice, type TokenUsage } from './schemas.js'
import { smsLength } from './sms-segments.js'

// Output bounds per deployment: GPT-5 spends part of its budget on reasoning before it writes.
const PRIMARY_MAX_COMPLETION_TOKENS = 8000
const FALLBACK_MAX_COMPLETION_TOKENS = 2000

interface FailedAttempt { deployment: string, reason: FailureReason, status?: number }

export interface GenerationHooks {
  onUsage: (usage: TokenUsage) => Promise<void>
  /** The request's logger, so attempt failures carry its request id. */
  log: FastifyBaseLogger
  /** Aborted when the process begins to shut down: the call in flight ends, no fallback is tried. */
  stopping?: AbortSignal
}

export interface MessageGenerator {
  /** The variable that must be set before generation works, or undefined when it does. */
  readonly missing: string | undefined
  /** Drafts one SMS; `onUsage` hears every billed attempt, failed ones included. */
  generate: (input: GenerateMessageBody, hooks: GenerationHooks) => Promise<GeneratedMessage>
}

export function deploymentPlan (config: Config, choice: ModelChoice = 'auto'): DeploymentTarget[] {
  const primary = { deployment: config.AZURE_OPENAI_PRIMARY_DEPLOYMENT, maxCompletionTokens: PRIMARY_MAX_COMPLETION_TOKENS }
  const fallback = { deployment: config.AZURE_OPENAI_FALLBACK_DEPLOYMENT, maxCompletionTokens: FALLBACK_MAX_COMPLETION_TOKENS }
  if (choice === 'primary') return [primary]
  if (choice === 'fallback') return [fallback]
  return [primary, fallback]
}

export function createMessageGenerator (config: Config, metrics: GenerationMetrics): MessageGenerator {
  const client = createAzureClient(config)
  const missing = 'missing' in client ? client.missing : undefined
  return {
    missing,
    generate: async (input, { onUsage, log, stopping }) => {
      if ('missing' in client) throw new Error(`message generation is not configured (${client.missing})`)
      const messages = buildChatMessages(input)
      const failures: FailedAttempt[] = []
      for (const target of deploymentPlan(config, input.model)) {
        if (stopping?.aborted === true) break
        const attempt = await callDeployment(client, target, messages, config.AZURE_OPENAI_TIMEOUT_MS, stopping)
        if (attempt.usage !== undefined) {
          metrics.recordTokens(target.deployment, attempt.usage)
          await onUsage(attempt.usage)
        }
        const message = attempt.ok ? cleanModelOutput(attempt.text) : ''
        // Text a campaign would refuse (another placeholder, over 1600 characters) is no draft.
        const unusable = message !== '' && (placeholderProblem(message) !== undefined || [...message].length > MAX_MESSAGE_BODY)
        if (attempt.ok && message !== '' && !unusable) {
          const fallbackUsed = failures.length > 0
          metrics.recordOutcome(fallbackUsed ? 'fallback' : 'success')
          const { characters, segments, encoding } = smsLength(message)
          const withinMaxLength = characters <= (input.maxLength ?? DEFAULT_MAX_LENGTH)
          return { message, model: target.deployment, fallbackUsed, usage: attempt.usage, characters, withinMaxLength, segments, encoding }
        }
        const failure: FailedAttempt = attempt.ok
          ? { deployment: target.deployment, reason: unusable ? 'unusable-text' : 'empty' }
          : { deployment: target.deployment, reason: attempt.reason, ...(attempt.status !== undefined ? { status: attempt.status } : {}) }
        failures.push(failure)
        log.warn(failure, 'message generation attempt failed')
        if (!RETRYABLE.has(failure.reason)) break
      }
      metrics.recordOutcome('failure')
      // Two model calls can outlast SHUTDOWN_TIMEOUT_MS: on shutdown the caller is told to retry
      // (another replica answers) rather than having its connection cut when the process exits.
      if (stopping?.aborted === true) throw serviceUnavailable('the service is shutting down; retry the request', 'shutting-down')
      throw generationProblem(failures)
    }
  }
}

function generationProblem (failures: FailedAttempt[]): HttpProblem {
  if (failures.some(f => f.reason === 'content-filter')) {
    return unprocessable('the prompt was refused by the Azure OpenAI content filter; rephrase it', 'content-filtered')
  }
  const summary = failures.map(f => `${f.deployment}: ${f.reason}${f.status !== undefined ? ` (${f.status})` : ''}`).join('; ')
  return badGateway(`no deployment produced a message (${summary})`, 'generation-failed', { attempts: failures })
}
