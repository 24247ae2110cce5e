import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { OPENAPI_FILE } from '../../scripts/render-openapi.js'
import { buildTestApp } from '../helpers/app.js'

// A request body the document marks optional (its schema requires nothing) may really be left
// out: the route answers with its defaults, not a 400, so a generated client that sends nothing works.

type Operation = { requestBody?: { required?: boolean } }
const document = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, Operation>> }
const optional = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).filter(([, operation]) => operation.requestBody?.required === false).map(([method]) => `${method.toUpperCase()} ${path}`))

t.test('every operation whose body is optional answers without one', async t => {
  t.same(optional.sort(), ['POST /v1/campaigns/preview', 'POST /v1/deliveries/claim'], 'the operations with an optional body')
  const app = await buildTestApp(t)
  const { headers } = await app.createClient()
  for (const name of optional) {
    const [method, url] = name.split(' ') as ['POST', string]
    const answer = await app.api.inject({ method, url, headers })
    t.equal(answer.statusCode, 200, `${name} without a body: ${answer.body}`)
    // Optional is not nullable: a JSON null is a body, and not an object.
    const nullBody = await app.api.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: 'null' })
    t.equal(nullBody.statusCode, 400, `${name} with a null body`)
  }
})
