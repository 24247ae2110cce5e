import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/render-openapi.js'
import { buildTestApp } from '../helpers/app.js'

t.test('openapi.yaml is what the server generates (npm run openapi:check)', async t => {
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), await renderOpenApi(), 'run `npm run openapi` after changing a route schema')
})

t.test('the served document covers the contract and declares bearer auth', async t => {
  const app = await buildTestApp(t)
  const response = await app.api.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(response.statusCode, 200)
  const document = response.json()
  t.same(document, parse(readFileSync(OPENAPI_FILE, 'utf8')), '/openapi.json serves the committed document')
  t.equal(document.components.securitySchemes.clientKey.scheme, 'bearer')
  const paths = Object.keys(document.paths)
  for (const path of ['/v1/admin/clients', '/v1/admin/clients/{clientId}/api-keys', '/v1/admin/clients/{clientId}/api-keys/{keyId}',
    '/v1/leads/bulk', '/v1/leads', '/v1/leads/{id}', '/v1/campaigns', '/v1/campaigns/preview', '/v1/campaigns/{id}',
    '/v1/campaigns/{id}/enroll', '/v1/campaigns/{id}/cancel', '/v1/campaigns/{id}/enrollments',
    '/internal/campaigns/activate-scheduled', '/healthz', '/readyz']) {
    t.ok(paths.includes(path), `documents ${path}`)
  }
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, { tags?: string[], security?: unknown[] }>>)) {
    for (const [method, operation] of Object.entries(methods).filter(([key]) => key !== 'servers')) {
      t.ok((operation.tags ?? []).length > 0, `${method} ${path} has tags`)
      if (path.startsWith('/v1/')) t.ok((operation.security ?? []).length > 0, `${method} ${path} declares its security`)
    }
  }
  type Operation = { parameters?: Array<{ name: string, in: string, required?: boolean }>, responses: Record<string, unknown> }
  const operations = document.paths as Record<string, Record<string, Operation>>
  for (const path of ['/v1/leads', '/v1/campaigns', '/v1/campaigns/{id}/enrollments', '/v1/sync/failures']) {
    const limit = operations[path]?.get?.parameters?.find(p => p.name === 'limit')
    t.equal(limit?.required, false, `${path}: limit has a default, so it may be left out`)
  }
  t.match(document.components.schemas.Problem, { required: ['type', 'title', 'status', 'detail'] })
  const problemSchemas = Object.values(operations).flatMap(methods => Object.entries(methods).filter(([key]) => key !== 'servers').map(([, operation]) => operation))
    .flatMap(operation => Object.values(operation.responses) as Array<{ content?: Record<string, { schema?: unknown }> }>)
    .map(response => response.content?.['application/problem+json']?.schema).filter(schema => schema !== undefined)
  t.ok(problemSchemas.length > 50, `${problemSchemas.length} problem responses`)
  t.ok(problemSchemas.every(schema => (schema as { $ref?: string }).$ref === '#/components/schemas/Problem'), 'each names the one Problem schema')
  const docs = await app.api.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})
