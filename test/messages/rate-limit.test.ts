import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { azureEnv, startAzureStandIn, type AzureStandIn } from '../stand-ins/azure-openai.js'

const generate = async (app: TestApp, headers: Record<string, string>) =>
  await app.api.inject({ method: 'POST', url: '/v1/messages/generate', headers, payload: { prompt: 'Hello' } })

async function twoInstances (t: Test, env: Record<string, string | undefined>): Promise<{ standIn: AzureStandIn, first: TestApp, second: TestApp }> {
  const standIn = await startAzureStandIn(t)
  const shared = { ...azureEnv(standIn), RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}`, ...env }
  const first = await buildTestApp(t, { env: shared })
  const second = await buildTestApp(t, { env: shared, databaseUrl: first.databaseUrl })
  return { standIn, first, second }
}

t.test('over the per-minute limit → 429 with Retry-After and RateLimit-* headers, which also come on successes', async t => {
  const standIn = await startAzureStandIn(t)
  const app = await buildTestApp(t, { env: azureEnv(standIn, { GENERATE_RATE_LIMIT_PER_MINUTE: '2' }) })
  const { headers } = await app.createClient()
  const first = await generate(app, headers)
  t.equal(first.statusCode, 200)
  t.match(first.headers, { 'ratelimit-limit': '2', 'ratelimit-remaining': '1' })
  const reset = Number(first.headers['ratelimit-reset'])
  t.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset} is within the minute`)
  t.match((await generate(app, headers)).headers, { 'ratelimit-remaining': '0' })

  const refused = await generate(app, headers)
  t.equal(refused.statusCode, 429)
  t.match(refused.headers['content-type'], /application\/problem\+json/)
  t.match(refused.json(), { type: /rate-limited$/, status: 429, detail: /at most 2 messages per minute/ })
  const retryAfter = Number(refused.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  t.match(refused.headers, { 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': String(retryAfter) })
  t.equal(standIn.requests.length, 2, 'the refused request never reached Azure')

  const other = await app.createClient('Another client')
  t.equal((await generate(app, other.headers)).statusCode, 200, 'the limit is per client')
})

t.test('two instances on one Redis share one limit', async t => {
  const { first, second } = await twoInstances(t, { GENERATE_RATE_LIMIT_PER_MINUTE: '3' })
  const client = await first.createClient()
  t.equal((await generate(first, client.headers)).statusCode, 200)
  t.equal((await generate(second, client.headers)).statusCode, 200)
  t.equal((await generate(first, client.headers)).statusCode, 200)
  const refused = await generate(second, client.headers)
  t.equal(refused.statusCode, 429, 'the second instance counts the first one\'s requests')
  t.equal((await generate(first, client.headers)).statusCode, 429)
  const key = `${first.config.RATE_LIMIT_KEY_PREFIX}:generate:${client.id}`
  t.equal(await first.ctx.redis?.get(key), '5', 'the count lives in Redis')
})

t.test('without REDIS_URL each process keeps its own limit', async t => {
  const { first, second } = await twoInstances(t, { GENERATE_RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: undefined })
  t.equal(first.ctx.redis, undefined)
  const client = await first.createClient()
  t.equal((await generate(first, client.headers)).statusCode, 200)
  t.equal((await generate(second, client.headers)).statusCode, 200, 'not shared')
  const refused = await generate(first, client.headers)
  t.equal(refused.statusCode, 429)
  t.match(refused.headers, { 'ratelimit-limit': '1', 'ratelimit-remaining': '0' })
})

t.test('the daily token budget counts real usage, failed attempts included, and resets at UTC midnight', async t => {
  const { standIn, first, second } = await twoInstances(t, { GENERATE_DAILY_TOKEN_BUDGET: '400' })
  const client = await first.createClient()
  standIn.behave('gpt-5', { kind: 'empty' }) // billed (180 tokens) but unusable: the fallback answers (180 more)
  const spent = await generate(first, client.headers)
  t.match(spent.json(), { fallbackUsed: true, usage: { totalTokens: 180 } })
  t.equal((await generate(second, client.headers)).statusCode, 200, '360 of 400 used: still allowed (and 360 more spent)')

  const calls = standIn.requests.length
  const exhausted = await generate(second, client.headers)
  t.equal(exhausted.statusCode, 429)
  const body = exhausted.json()
  t.match(body, { type: /token-budget-exhausted$/, budget: 400, used: 720, detail: /resets at .*T00:00:00\.000Z/ })
  const resetsAt = new Date(body.resetsAt as string)
  t.equal(body.resetsAt.slice(11), '00:00:00.000Z', 'UTC midnight')
  const untilReset = (resetsAt.getTime() - Date.now()) / 1000
  t.ok(untilReset > 0 && untilReset <= 86400, 'the next midnight')
  t.ok(Math.abs(Number(exhausted.headers['retry-after']) - untilReset) < 5, 'Retry-After points at the reset')
  // RateLimit-* agree with Retry-After: nothing left until the budget resets.
  t.match(exhausted.headers, { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': exhausted.headers['retry-after'] })
  const slots = `${first.config.RATE_LIMIT_KEY_PREFIX}:generate:${client.id}`
  const used = await first.ctx.redis?.get(slots)
  const again = await generate(first, client.headers)
  t.equal(again.statusCode, 429, 'shared by both instances')
  t.match(again.json(), { type: /token-budget-exhausted$/ }, 'still the budget, not the per-minute limit')
  t.equal(await first.ctx.redis?.get(slots), used, 'a budget refusal takes no per-minute slot')
  t.equal(standIn.requests.length, calls, 'an exhausted budget never calls Azure')

  const other = await first.createClient('Another client')
  t.equal((await generate(first, other.headers)).statusCode, 200, 'the budget is per client')
})

t.test('the daily token budget works per process without Redis', async t => {
  const standIn = await startAzureStandIn(t)
  const app = await buildTestApp(t, { env: azureEnv(standIn, { GENERATE_DAILY_TOKEN_BUDGET: '100', REDIS_URL: undefined }) })
  const { headers } = await app.createClient()
  t.equal((await generate(app, headers)).statusCode, 200)
  t.equal((await generate(app, headers)).statusCode, 429)
})
