import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'
import { OPENAPI_FILE } from '../../scripts/render-openapi.js'

// ajv-formats ships CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

export interface Exchange { method: string, path: string, status: number, contentType: string, body: unknown }

/**
 * Runs `run` with globalThis.fetch recording every exchange (openapi-fetch takes globalThis.fetch
 * when a client is created), the way a black-box check watches a generated client.
 */
export async function recordFetches<T> (run: () => Promise<T>): Promise<{ result: T, exchanges: Exchange[] }> {
  const exchanges: Exchange[] = []
  const original = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init)
    const response = await original(request)
    const text = await response.clone().text()
    exchanges.push({ method: request.method.toLowerCase(), path: new URL(request.url).pathname, status: response.status, contentType: response.headers.get('content-type') ?? '', body: text === '' ? undefined : JSON.parse(text) })
    return response
  }
  try {
    return { result: await run(), exchanges }
  } finally {
    globalThis.fetch = original
  }
}

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }

/** What the committed document says of one exchange: [] when its body matches the documented schema. */
export function documentChecker (): (exchange: Exchange) => string[] {
  const document = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, Operation>> }
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addFormat('int32', true).addFormat('int64', true)
  ajv.addSchema(document, 'openapi')
  const templates = Object.keys(document.paths).map(template => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
  return exchange => {
    // A literal path (/v1/campaigns/preview) wins over a template that also matches (/v1/campaigns/{id}).
    const template = templates.filter(({ template, pattern }) => pattern.test(exchange.path) && document.paths[template]?.[exchange.method] !== undefined)
      .sort((a, b) => a.template.split('{').length - b.template.split('{').length)[0]?.template
    const operation = template === undefined ? undefined : document.paths[template]?.[exchange.method]
    if (template === undefined || operation === undefined) return [`${exchange.method} ${exchange.path}: not in the document`]
    const name = `${exchange.method} ${template} ${exchange.status}`
    const response = operation.responses[String(exchange.status)]
    if (response === undefined) return [`${name}: status not documented`]
    const mediaType = exchange.contentType.split(';')[0] ?? ''
    const media = response.content?.[mediaType]
    if (media === undefined) return exchange.body === undefined ? [] : [`${name}: ${mediaType} not documented`]
    const validate = ajv.compile({ $ref: `openapi#/paths/${pointer(template)}/${exchange.method}/responses/${exchange.status}/content/${pointer(mediaType)}/schema` })
    return validate(exchange.body) ? [] : (validate.errors ?? []).map(error => `${name}: ${error.instancePath} ${error.message ?? ''}`)
  }
}

const pointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1')
