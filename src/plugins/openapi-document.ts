type Document = Record<string, unknown> & { paths?: Record<string, unknown>, tags?: unknown[] }

/** The public document with the internal listener's paths added (they say so in their tag). */
export function mergeOpenApi (publicDoc: unknown, internalDoc: unknown): Document {
  const base = structuredClone(publicDoc) as Document
  const internal = internalDoc as Document
  base.paths = { ...(base.paths ?? {}), ...(internal.paths ?? {}) }
  base.tags = [
    { name: 'leads', description: 'Import and maintain leads' },
    { name: 'campaigns', description: 'Targeted SMS sequences and their enrollments' },
    { name: 'messages', description: 'AI drafting of message text' },
    { name: 'sync', description: 'Airtable mirror' },
    { name: 'admin', description: 'Clients and API keys (ADMIN_API_KEY)' },
    { name: 'operations', description: 'Health and readiness' },
    { name: 'internal', description: 'Served on INTERNAL_PORT only, never on the public port' }
  ]
  return base
}
