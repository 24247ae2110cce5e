import Type from 'typebox'
import t from 'tap'
import { MAX_JSON_DEPTH } from '../../src/http/validation.js'
import inputGuard from '../../src/plugins/input-guard.js'
import { pluginApp } from '../helpers/plugin-app.js'

t.test('text the database cannot hold, deep nesting and bodies sent to body-less routes are 400s naming the field', async t => {
  const app = pluginApp(t)
  await app.register(inputGuard)
  let handled = 0
  app.post('/with-body', { schema: { body: Type.Unknown() } }, async () => { handled++; return { ok: true } })
  app.post('/no-body/:id', async () => { handled++; return { ok: true } })
  app.get('/search', async () => { handled++; return { ok: true } })
  const json = { 'content-type': 'application/json' }

  const cases: Array<{ method: 'GET' | 'POST', url: string, payload?: string, errors: Array<{ path: string, message: RegExp | string }> }> = [
    { method: 'POST', url: '/with-body', payload: '{"a":["ok","x\\u0000y"]}', errors: [{ path: 'a/1', message: /must not contain NUL/ }] },
    { method: 'POST', url: '/with-body', payload: '{"name":"A\\ud800"}', errors: [{ path: 'name', message: /unpaired surrogate/ }] },
    { method: 'POST', url: '/with-body', payload: '{"a\\u0000":1}', errors: [{ path: 'a\u0000', message: /^field name must not contain NUL/ }] },
    { method: 'POST', url: '/with-body', payload: '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1), errors: [{ path: /.*/ as unknown as string, message: /nested too deeply/ }] },
    { method: 'GET', url: '/search?tag=a%00b', errors: [{ path: 'tag', message: /must not contain NUL/ }] },
    { method: 'POST', url: '/no-body/a%00b', errors: [{ path: 'id', message: /must not contain NUL/ }] },
    { method: 'POST', url: '/no-body/1', payload: '{"reason":"x"}', errors: [{ path: 'reason', message: 'is not a known field (this endpoint takes no body)' }] },
    { method: 'POST', url: '/no-body/1', payload: '[1]', errors: [{ path: 'body', message: 'must be empty (this endpoint takes no body)' }] }
  ]
  for (const { method, url, payload, errors } of cases) {
    const answer = await app.inject({ method, url, ...(payload !== undefined ? { headers: json, payload } : {}) })
    t.equal(answer.statusCode, 400, `${method} ${url} ${payload?.slice(0, 20) ?? ''}`)
    t.match(answer.json(), { type: /validation-error$/, errors }, url)
  }
  t.equal(handled, 0, 'no handler ran')

  const deepEnough = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)
  for (const [url, payload] of [['/with-body', deepEnough], ['/with-body', '{"name":"Zoë 😀"}'], ['/no-body/1', '{}']] as const) {
    t.equal((await app.inject({ method: 'POST', url, headers: json, payload })).statusCode, 200, `${url} ${payload.slice(0, 20)}`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/no-body/1' })).statusCode, 200, 'no body at all')
  t.equal((await app.inject({ method: 'POST', url: '/unknown', headers: json, payload: '{"a\\u0000":1}' })).statusCode, 404, 'no route: not this guard\'s to answer')
})
