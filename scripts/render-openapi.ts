// Renders the OpenAPI document from the route schemas, exactly as the server serves it.
import { pino } from 'pino'
import { stringify } from 'yaml'
import { buildApps, serviceDocument } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createContext } from '../src/context.js'

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
