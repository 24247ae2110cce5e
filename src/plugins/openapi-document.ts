type Document = Record<string, unknown> & { paths?: Record<string, unknown>, tags?: unknown[], components?: Record<string, unknown> }
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }

const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/**
 * Every problem response names one `Problem` component instead of repeating its schema, so a
 * generated client gets one error type (and the document a few thousand lines less).
 */
function shareProblemSchema (document: Document): void {
  let problem: unknown
  for (const operations of Object.values(document.paths ?? {}) as Array<Record<string, Operation>>) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        const media = response.content?.[PROBLEM_MEDIA_TYPE]
        if (media?.schema === undefined) continue
        problem ??= media.schema
        // Only a schema that is the shared one is replaced; any other stays as it is.
        if (JSON.stringify(media.schema) === JSON.stringify(problem)) media.schema = { $ref: '#/components/schemas/Problem' }
      }
    }
  }
  if (problem === undefined) return
  const components = document.components ?? {}
  document.components = { ...components, schemas: { ...(components.schemas as Record<string, unknown> | undefined), Problem: problem } }
}

/** The public document with the internal listener's paths added (they say so in their tag). */
export function mergeOpenApi (publicDoc: unknown, internalDoc: unknown): Document {
  const base = structuredClone(publicDoc) as Document
  const internal = internalDoc as Document
  base.paths = { ...(base.paths ?? {}), ...(internal.paths ?? {}) }
  base.tags = [
    { name: 'leads', description: 'Import and maintain leads' },
    { name: 'campaigns', description: 'Targeted SMS sequences and their enrollments' },
    { name: 'inbound', description: 'Inbound SMS: opt-out keywords and replies' },
    { name: 'messages', description: 'AI drafting of message text' },
    { name: 'sync', description: 'Airtable mirror' },
    { name: 'admin', description: 'Clients and API keys (ADMIN_API_KEY)' },
    { name: 'operations', description: 'Health and readiness' },
    { name: 'internal', description: 'Served on INTERNAL_PORT only, never on the public port' }
  ]
  shareProblemSchema(base)
  return base
}
