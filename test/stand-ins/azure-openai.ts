import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// An Azure OpenAI chat-completions endpoint on loopback, spoken to by the real `openai` SDK:
// POST /openai/deployments/{deployment}/chat/completions?api-version=..., `api-key` header.

export type Behaviour =
  | { kind: 'ok', content?: string, usage?: { prompt: number, completion: number, reasoning: number } }
  /** An error status with an Azure-shaped error body (code e.g. 'content_filter'). */
  | { kind: 'status', status: number, code?: string }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Sends the headers and half a body, then stops. */
  | { kind: 'stall' }
  /** A 200 whose message content is empty. */
  | { kind: 'empty' }

export interface RecordedRequest {
  deployment: string
  apiVersion: string | null
  apiKey: string | undefined
  authorization: string | undefined
  body: Record<string, unknown> & { messages: Array<{ role: string, content: string }> }
}

export interface AzureStandIn {
  /** The value for AZURE_OPENAI_ENDPOINT. */
  endpoint: string
  apiKey: string
  requests: RecordedRequest[]
  behave: (deployment: string, behaviour: Behaviour) => void
  callsTo: (deployment: string) => number
}

export const DEFAULT_REPLY = 'Hi {{first_name}}, our spring sale starts today: 20% off everything. Reply STOP to opt out.'
export const DEFAULT_USAGE = { prompt: 120, completion: 60, reasoning: 40 }

export async function startAzureStandIn (t: { teardown: (fn: () => Promise<void>) => void }, apiKey = 'stand-in-secret-key-5f2a9c'): Promise<AzureStandIn> {
  const behaviours = new Map<string, Behaviour>()
  const requests: RecordedRequest[] = []
  const server = createServer((request, response) => { void handle(request, response) })

  async function handle (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in')
    const match = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname)
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (request.method !== 'POST' || match?.[1] === undefined) return json(response, 404, { error: { code: 'DeploymentNotFound', message: 'no such path' } })
    const deployment = decodeURIComponent(match[1])
    const apiKeyHeader = request.headers['api-key']
    requests.push({
      deployment,
      apiVersion: url.searchParams.get('api-version'),
      apiKey: typeof apiKeyHeader === 'string' ? apiKeyHeader : undefined,
      authorization: request.headers.authorization,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8'))
    })
    if (apiKeyHeader !== apiKey) return json(response, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key.' } })
    const behaviour = behaviours.get(deployment) ?? { kind: 'ok' }
    switch (behaviour.kind) {
      case 'hang': return
      case 'stall':
        response.writeHead(200, { 'content-type': 'application/json' })
        response.write('{"id":"chatcmpl-stall","choices":[')
        return
      case 'status':
        return json(response, behaviour.status, { error: { code: behaviour.code ?? String(behaviour.status), message: 'stand-in failure' } })
      case 'empty':
        return json(response, 200, completion(deployment, '', DEFAULT_USAGE))
      case 'ok':
        return json(response, 200, completion(deployment, behaviour.content ?? DEFAULT_REPLY, behaviour.usage ?? DEFAULT_USAGE))
    }
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    behave: (deployment, behaviour) => { behaviours.set(deployment, behaviour) },
    callsTo: deployment => requests.filter(r => r.deployment === deployment).length
  }
}

function json (response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function completion (deployment: string, content: string, usage: { prompt: number, completion: number, reasoning: number }) {
  return {
    id: 'chatcmpl-stand-in',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: deployment,
    choices: [{ index: 0, finish_reason: content === '' ? 'length' : 'stop', message: { role: 'assistant', content } }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
      completion_tokens_details: { reasoning_tokens: usage.reasoning }
    }
  }
}

/** The AZURE_OPENAI_* variables pointing the service at the stand-in, with a short timeout. */
export const azureEnv = (standIn: AzureStandIn, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  AZURE_OPENAI_ENDPOINT: standIn.endpoint,
  AZURE_OPENAI_API_KEY: standIn.apiKey,
  AZURE_OPENAI_API_VERSION: '2025-04-01-preview',
  AZURE_OPENAI_TIMEOUT_MS: '300',
  ...extra
})
