// Renders the OpenAPI document from the route schemas, exactly as the server serves it.
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'
import { pino } from 'pino'
import { stringify } from 'yaml'
import { buildApps, serviceDocument } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createContext } from '../src/context.js'
import { PROBLEM_TYPE_BASE, PROBLEM_TYPES } from '../src/http/problem-types.js'

export const OPENAPI_FILE = new URL('../openapi.yaml', import.meta.url)

/** The document as YAML, built without touching any database (the pool connects lazily). */
export async function renderOpenApi (): Promise<string> {
  const config = loadConfig({ DATABASE_URL: 'postgres://openapi@127.0.0.1:1/unused', LOG_LEVEL: 'silent', WORKER_ENABLED: 'false' })
  const ctx = createContext(config, pino({ level: 'silent' }), config.DATABASE_URL ?? '')
  const apps = await buildApps(ctx)
  try {
    return '# Generated from the route schemas by `npm run openapi`; do not edit by hand.\n' + stringify(serviceDocument(apps), { aliasDuplicateObjects: false })
  } finally {
    await Promise.all([apps.api.close(), apps.internal.close()])
    await ctx.close()
  }
}

export const PROBLEMS_FILE = new URL('../docs/problems.md', import.meta.url)

/** docs/problems.md: the problem types, one line each, from src/http/problem-types.ts. */
export function renderProblemsPage (): string {
  const rows = Object.entries(PROBLEM_TYPES).map(([name, meaning]) => `| \`${name}\` | ${meaning} |`)
  return [
    '# Problem types',
    '',
    '<!-- Generated from src/http/problem-types.ts by `npm run openapi`; do not edit by hand. -->',
    '',
    `Every error is \`application/problem+json\` (RFC 9457) with \`type\` = \`${PROBLEM_TYPE_BASE}<name>\`.`,
    'The names below are the complete list (also the enum of `Problem.type` in openapi.yaml). New ones may be',
    'added: a client that meets one it does not know should act on the HTTP status.',
    '',
    '| name | meaning |',
    '|---|---|',
    ...rows,
    ''
  ].join('\n')
}

export const CLIENT_TYPES_FILE = new URL('../examples/typescript-client/campaign-service.d.ts', import.meta.url)

/**
 * The client example's types: what `npx openapi-typescript openapi.yaml` prints for this document
 * (its Node API with default options), so the committed file cannot drift from the document.
 */
export async function renderClientTypes (openapiYaml: string): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(openapiYaml, { silent: true, defaultNonNullable: false }))
}
