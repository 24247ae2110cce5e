import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI } from 'openai'
import type { CompletionUsage } from 'openai/resources/completions'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { Config } from '../config.js'
import type { TokenUsage } from './schemas.js'

export interface DeploymentTarget {
  deployment: string
  /** GPT-5 family: the only output bound it accepts (max_tokens is rejected). */
  maxCompletionTokens: number
}

export type FailureReason = 'timeout' | 'unreachable' | 'rate-limited' | 'server-error' | 'empty' | 'unusable-text' | 'content-filter' | 'rejected' | 'invalid-response'

export type Attempt =
  | { ok: true, text: string, usage: TokenUsage }
  | { ok: false, reason: FailureReason, status?: number, usage?: TokenUsage }

/** Failures after which the other deployment may well answer. */
export const RETRYABLE = new Set<FailureReason>(['timeout', 'unreachable', 'rate-limited', 'server-error', 'empty', 'unusable-text', 'invalid-response'])

/**
 * The SDK client, or why there is none. Every option is passed explicitly so the SDK never
 * reads process.env itself (config.ts is the only reader). Keyless (Entra ID) auth is not
 * supported: @azure/identity adds ~29 packages / ~50 MB for it.
 */
export function createAzureClient (config: Config): AzureOpenAI | { missing: string } {
  if (config.AZURE_OPENAI_ENDPOINT === undefined) return { missing: 'AZURE_OPENAI_ENDPOINT' }
  if (config.AZURE_OPENAI_API_KEY === undefined) return { missing: 'AZURE_OPENAI_API_KEY' }
  return new AzureOpenAI({
    baseURL: `${config.AZURE_OPENAI_ENDPOINT.replace(/\/+$/, '')}/openai`,
    apiKey: config.AZURE_OPENAI_API_KEY,
    apiVersion: config.AZURE_OPENAI_API_VERSION,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: config.AZURE_OPENAI_TIMEOUT_MS,
    // The fallback deployment is our retry; SDK retries (which honour long Retry-After) would
    // multiply the time a caller waits.
    maxRetries: 0,
    logLevel: 'off'
  })
}

export const toTokenUsage = (usage: CompletionUsage | undefined): TokenUsage => ({
  promptTokens: usage?.prompt_tokens ?? 0,
  completionTokens: usage?.completion_tokens ?? 0,
  reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
  totalTokens: usage?.total_tokens ?? 0
})

/** One chat completion on one deployment; never throws, a failure is described instead. */
export async function callDeployment (client: AzureOpenAI, target: DeploymentTarget, messages: ChatCompletionMessageParam[], timeoutMs: number, stop?: AbortSignal): Promise<Attempt> {
  // The SDK's timeout stops at the response headers; this signal also bounds reading the body,
  // and ends the call when the process begins to shut down.
  const signal = stop !== undefined ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs)
  try {
    const completion = await client.chat.completions.create(
      // Never temperature, top_p or max_tokens: GPT-5 deployments reject them.
      { model: target.deployment, messages, max_completion_tokens: target.maxCompletionTokens },
      { signal, timeout: timeoutMs, maxRetries: 0 }
    )
    const usage = toTokenUsage(completion.usage)
    const text = completion.choices[0]?.message.content?.trim() ?? ''
    return text === '' ? { ok: false, reason: 'empty', usage } : { ok: true, text, usage }
  } catch (error) {
    return { ok: false, ...describeFailure(error, signal.aborted) }
  }
}

function describeFailure (error: unknown, timedOut: boolean): { reason: FailureReason, status?: number } {
  // APIConnectionTimeoutError: the SDK's own timer fired first; APIUserAbortError: ours did.
  if (timedOut || error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError) return { reason: 'timeout' }
  if (error instanceof APIConnectionError) return { reason: 'unreachable' }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status
    if (status === 429) return { reason: 'rate-limited', status }
    if (status >= 500) return { reason: 'server-error', status }
    if (status === 400 && error.code === 'content_filter') return { reason: 'content-filter', status }
    return { reason: 'rejected', status }
  }
  return { reason: 'invalid-response' }
}
