import t from 'tap'
import { PRIMARY, FALLBACK, setupGeneration } from '../helpers/generate.js'
import { DEFAULT_REPLY } from '../stand-ins/azure-openai.js'

t.test('sends GPT-5 parameters to the primary deployment through the real SDK and reports usage and segments', async t => {
  const { standIn, generate } = await setupGeneration(t)
  const response = await generate({ prompt: 'Announce the spring sale', tone: 'friendly', callToActionUrl: 'https://shop.example/spring', maxLength: 160 })
  t.equal(response.statusCode, 200, response.body)
  t.same(response.json(), {
    message: DEFAULT_REPLY, model: PRIMARY, fallbackUsed: false,
    usage: { promptTokens: 120, completionTokens: 60, reasoningTokens: 40, totalTokens: 180 },
    characters: DEFAULT_REPLY.length, withinMaxLength: true, segments: 1, encoding: 'GSM-7'
  })
  t.equal(standIn.requests.length, 1)
  const [sent] = standIn.requests
  t.match(sent, { deployment: PRIMARY, apiVersion: '2025-04-01-preview', apiKey: standIn.apiKey })
  t.equal(sent?.body.max_completion_tokens, 8000)
  for (const rejected of ['temperature', 'top_p', 'max_tokens']) t.notOk(rejected in (sent?.body ?? {}), `${rejected} is not sent`)
  const [system, user] = sent?.body.messages ?? []
  t.equal(system?.role, 'system')
  t.match(system?.content, /at most 160 characters/)
  t.match(system?.content, /\{\{first_name\}\}/)
  t.match(system?.content, /https:\/\/shop\.example\/spring/)
  t.match(system?.content, /Tone: friendly/)
  t.same(user, { role: 'user', content: 'Announce the spring sale' })
})

t.test('model "fallback" calls only the fallback with 2000 completion tokens; "primary" never falls back', async t => {
  const { standIn, generate } = await setupGeneration(t)
  const viaFallback = await generate({ prompt: 'Hello', model: 'fallback' })
  t.match(viaFallback.json(), { model: FALLBACK, fallbackUsed: false })
  t.equal(standIn.requests[0]?.body.max_completion_tokens, 2000)
  t.notOk('temperature' in (standIn.requests[0]?.body ?? {}))

  standIn.behave(PRIMARY, { kind: 'status', status: 500 })
  const primaryOnly = await generate({ prompt: 'Hello', model: 'primary' })
  t.equal(primaryOnly.statusCode, 502)
  t.equal(standIn.callsTo(FALLBACK), 1, 'the fallback was not tried again')
  t.equal(standIn.callsTo(PRIMARY), 1, 'no SDK retries')
})

t.test('auto falls back on 429, 500, empty output, a hang and a stalled body', async t => {
  const { standIn, generate } = await setupGeneration(t)
  const failures = [
    { kind: 'status', status: 429 }, { kind: 'status', status: 500 }, { kind: 'status', status: 503 },
    { kind: 'empty' }, { kind: 'hang' }, { kind: 'stall' }
  ] as const
  for (const behaviour of failures) {
    standIn.behave(PRIMARY, behaviour)
    const before = standIn.callsTo(FALLBACK)
    const response = await generate({ prompt: 'Hello' })
    t.equal(response.statusCode, 200, `${JSON.stringify(behaviour)}: ${response.body}`)
    t.match(response.json(), { model: FALLBACK, fallbackUsed: true, message: DEFAULT_REPLY })
    t.equal(standIn.callsTo(FALLBACK), before + 1)
  }
  t.equal(standIn.requests.filter(r => r.deployment === FALLBACK).every(r => r.body.max_completion_tokens === 2000), true)
})

t.test('both deployments failing → 502 naming each failure; a refused prompt → 422 without fallback', async t => {
  const { standIn, generate, app } = await setupGeneration(t)
  standIn.behave(PRIMARY, { kind: 'hang' })
  standIn.behave(FALLBACK, { kind: 'status', status: 500 })
  const response = await generate({ prompt: 'Hello' })
  t.equal(response.statusCode, 502)
  t.match(response.headers['content-type'], /application\/problem\+json/)
  t.ok(response.headers['ratelimit-remaining'], 'a counted request carries the limit headers, failed or not')
  t.match(response.json(), { type: /generation-failed$/, status: 502, attempts: [{ deployment: PRIMARY, reason: 'timeout' }, { deployment: FALLBACK, reason: 'server-error', status: 500 }] })

  standIn.behave(FALLBACK, { kind: 'empty' })
  standIn.behave(PRIMARY, { kind: 'empty' })
  t.equal((await generate({ prompt: 'Hello' })).statusCode, 502, 'empty output twice')

  standIn.behave(PRIMARY, { kind: 'status', status: 400, code: 'content_filter' })
  const fallbackCalls = standIn.callsTo(FALLBACK)
  const filtered = await generate({ prompt: 'Hello' })
  t.equal(filtered.statusCode, 422)
  t.match(filtered.json(), { type: /content-filtered$/ })
  t.equal(standIn.callsTo(FALLBACK), fallbackCalls, 'a refused prompt is not retried elsewhere')

  const metrics = (await app.internal.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /message_generations_total\{outcome="failure"\} 3/)
  t.match(metrics, /message_generation_tokens_total\{deployment="gpt-5-mini",kind="prompt"\} 120/, 'an empty answer is still billed')
})

t.test('placeholders survive, respelled ones are normalised, and segments follow the text', async t => {
  const { standIn, generate } = await setupGeneration(t)
  standIn.behave(PRIMARY, { kind: 'ok', content: '"Hey {{ first_name }} {{lastName}}, your 😀 offer ends tonight"' })
  const response = await generate({ prompt: 'Offer for {{first_name}}' })
  t.match(response.json(), { message: 'Hey {{first_name}} {{last_name}}, your 😀 offer ends tonight', encoding: 'UCS-2', characters: 59, segments: 1 })
  t.match(standIn.requests[0]?.body.messages[1], { content: 'Offer for {{first_name}}' }, 'the prompt reaches the model unchanged')

  // Longer than asked is still a draft, and says so; exactly maxLength fits.
  standIn.behave(PRIMARY, { kind: 'ok', content: 'y'.repeat(40) })
  t.match((await generate({ prompt: 'Short', maxLength: 39 })).json(), { characters: 40, withinMaxLength: false, fallbackUsed: false })
  t.match((await generate({ prompt: 'Short', maxLength: 40 })).json(), { characters: 40, withinMaxLength: true })

  // Text a campaign would refuse is no draft: the fallback is asked, and both failing is a 502.
  standIn.behave(PRIMARY, { kind: 'ok', content: 'Hi {{name}} from {{company}}' })
  standIn.behave(FALLBACK, { kind: 'ok', content: 'Hi {first_name}, see you soon' })
  t.match((await generate({ prompt: 'Welcome' })).json(), { message: 'Hi {{first_name}}, see you soon', fallbackUsed: true })
  standIn.behave(FALLBACK, { kind: 'ok', content: 'x'.repeat(1601) })
  const refused = await generate({ prompt: 'Welcome' })
  t.equal(refused.statusCode, 502)
  t.match(refused.body, /unusable-text/)
})

t.test('token usage and outcomes are on /metrics', async t => {
  const { standIn, generate, app } = await setupGeneration(t)
  await generate({ prompt: 'one' })
  standIn.behave(PRIMARY, { kind: 'status', status: 429 })
  await generate({ prompt: 'two' })
  const metrics = (await app.internal.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /message_generation_tokens_total\{deployment="gpt-5",kind="prompt"\} 120/)
  t.match(metrics, /message_generation_tokens_total\{deployment="gpt-5",kind="reasoning"\} 40/)
  t.match(metrics, /message_generation_tokens_total\{deployment="gpt-5-mini",kind="completion"\} 60/)
  t.match(metrics, /message_generations_total\{outcome="success"\} 1/)
  t.match(metrics, /message_generations_total\{outcome="fallback"\} 1/)
})
