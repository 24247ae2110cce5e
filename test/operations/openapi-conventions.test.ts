import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { OPENAPI_FILE } from '../../scripts/render-openapi.js'
import { PROBLEM_TYPES } from '../../src/http/problem-types.js'
import { docsDocument } from '../../src/plugins/openapi-document.js'

// The conventions every operation follows (README: "Documenting a route"), checked on the
// committed document (which openapi.test.ts proves is what the server serves). A route added
// without them fails here, naming it.

type Media = { schema?: { $ref?: string }, example?: unknown, examples?: unknown }
type Response = { description?: string, headers?: Record<string, unknown>, content?: Record<string, Media> }
type Operation = { operationId?: string, summary?: string, description?: string, requestBody?: { content?: Record<string, Media> }, responses: Record<string, Response> }
type Document = { paths: Record<string, Record<string, unknown> & { servers?: unknown[] }>, servers?: Array<{ url: string }>, components: { schemas: Record<string, unknown> } }

const document = parse(readFileSync(OPENAPI_FILE, 'utf8')) as Document
const METHODS = ['get', 'put', 'post', 'delete', 'patch']
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.filter(method => method in item).map(method => ({ name: `${method.toUpperCase()} ${path}`, path, method, operation: item[method] as Operation })))

t.test('every operation has an operationId (verb + noun, camelCase, unique), a summary and a description', async t => {
  t.ok(operations.length >= 22, `${operations.length} operations`)
  const ids = new Set<string>()
  for (const { name, operation } of operations) {
    t.match(operation.operationId, /^[a-z]+(?:[A-Z][a-z0-9]*)+$/, `${name}: operationId`)
    t.notOk(ids.has(operation.operationId ?? ''), `${name}: operationId ${operation.operationId} is unique`)
    ids.add(operation.operationId ?? '')
    t.ok((operation.summary ?? '').length > 0 && (operation.summary ?? '').length <= 60, `${name}: a short summary`)
    t.ok((operation.description ?? '').length > 0, `${name}: a description`)
  }
})

t.test('every response says what it is and carries X-Request-Id', async t => {
  for (const { name, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      t.ok(response.description !== undefined && response.description !== '' && response.description !== 'Default Response', `${name} ${status}: a real description`)
      t.ok(response.headers?.['X-Request-Id'] !== undefined, `${name} ${status}: X-Request-Id`)
    }
  }
})

t.test('request bodies and JSON success responses name a component that shows an example', async t => {
  const isComponent = (media: Media) => (media.schema?.$ref ?? '').startsWith('#/components/schemas/')
  for (const { name, operation } of operations) {
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      t.ok(isComponent(media), `${name} ${type} body: a named component`)
      t.ok(media.example !== undefined || media.examples !== undefined, `${name} body: an example`)
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      const media = response.content?.['application/json']
      if (!status.startsWith('2') || media === undefined) continue
      t.ok(isComponent(media), `${name} ${status}: a named component`)
      t.ok(media.example !== undefined, `${name} ${status}: an example`)
    }
  }
})

t.test('a problem response shows a problem of its own status (not the 400 of the Problem component)', async t => {
  for (const { name, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      const media = response.content?.['application/problem+json']
      if (media !== undefined) t.match(media.example, { status: Number(status), type: /^urn:campaign-service:problem:/ }, `${name} ${status}: its example`)
    }
  }
})

t.test('no 413 or 415 on an operation without a body; every body can be 400, 413 and 415', async t => {
  for (const { name, operation } of operations) {
    const statuses = Object.keys(operation.responses)
    if (operation.requestBody === undefined) t.notOk(statuses.includes('413') || statuses.includes('415'), `${name}: takes no body`)
    else t.ok(['400', '413', '415'].every(status => statuses.includes(status)), `${name}: 400, 413, 415`)
  }
})

t.test('every enum says its type', async t => {
  const untyped: string[] = []
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== 'object' || node === null) return
    const schema = node as Record<string, unknown>
    if (Array.isArray(schema.enum) && schema.type === undefined) untyped.push(at)
    for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') walk(value, `${at}/${key}`)
  }
  walk(document, '#')
  t.same(untyped, [])
})

t.test('no property is both required and given a default (generated clients would have to send it)', async t => {
  const both: string[] = []
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== 'object' || node === null) return
    const schema = node as { required?: unknown, properties?: Record<string, { default?: unknown }> }
    const required = Array.isArray(schema.required) ? schema.required : []
    for (const [name, property] of Object.entries(schema.properties ?? {})) if (required.includes(name) && property.default !== undefined) both.push(`${at}/${name}`)
    for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') walk(value, `${at}/${key}`)
  }
  walk(document, '#')
  t.same(both, [])
})

t.test('internal operations name their own server; /docs offers the public ones only, on its own origin', async t => {
  const internal = Object.keys(document.paths).filter(path => path.startsWith('/internal/') || path === '/metrics')
  t.ok(internal.length >= 2)
  for (const path of internal) t.match(document.paths[path]?.servers, [{ url: /:\{port\}$/, 'x-internal': true }], `${path}: internal server`)
  for (const path of Object.keys(document.paths).filter(path => !internal.includes(path))) t.equal(document.paths[path]?.servers, undefined, `${path}: public`)
  t.match(document.servers, [{ url: /^https:/, 'x-internal': false }])
  const docs = docsDocument(document) as unknown as Document
  t.same(Object.keys(docs.paths).filter(path => internal.includes(path)), [])
  t.same(docs.servers, [{ url: '/', description: 'this server' }])
})

t.test('problem types: the document lists them, docs/problems.md explains each, one line each', async t => {
  const problem = document.components.schemas.Problem as { properties: { type: { enum: string[] } } }
  t.same(problem.properties.type.enum.map(uri => uri.replace('urn:campaign-service:problem:', '')).sort(), Object.keys(PROBLEM_TYPES).sort())
  const page = readFileSync(new URL('../../docs/problems.md', import.meta.url), 'utf8')
  const documented = [...page.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map(match => match[1])
  t.same([...documented].sort(), Object.keys(PROBLEM_TYPES).sort(), 'docs/problems.md: one row per type (npm run openapi writes it)')
})
