import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js'
import { azureEnv, startAzureStandIn } from '../stand-ins/azure-openai.js'

const statuses = async (app: TestApp, headers: Record<string, string>, count: number): Promise<number[]> => {
  const result: number[] = []
  for (let i = 0; i < count; i++) {
    const response = await app.api.inject({ method: 'POST', url: '/v1/messages/generate', headers, payload: { prompt: 'Hello' } })
    result.push(response.statusCode)
  }
  return result
}

async function twoInstancesOnPrivateRedis (t: Test, limit: number): Promise<{ redis: PrivateRedis, first: TestApp, second: TestApp, headers: Record<string, string> }> {
  const redis = await startPrivateRedis(t)
  const standIn = await startAzureStandIn(t)
  const env = azureEnv(standIn, { REDIS_URL: redis.url, GENERATE_RATE_LIMIT_PER_MINUTE: String(limit), RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}` })
  const first = await buildTestApp(t, { env })
  const second = await buildTestApp(t, { env, databaseUrl: first.databaseUrl })
  for (const app of [first, second]) {
    while (app.ctx.redis?.status !== 'ready') await sleep(20)
  }
  const { headers } = await first.createClient()
  return { redis, first, second, headers }
}

t.test('Redis killed mid-test: both instances keep answering, each limited on its own', async t => {
  const { redis, first, second, headers } = await twoInstancesOnPrivateRedis(t, 2)
  t.same(await statuses(first, headers, 1), [200])
  t.same(await statuses(second, headers, 1), [200])
  t.same(await statuses(first, headers, 1), [429], 'shared while Redis is up')

  await redis.kill()
  // Wait until each client has noticed; commands sent before that fail over the same way.
  for (const app of [first, second]) {
    while (app.ctx.redis?.status === 'ready') await sleep(10)
  }
  t.same(await statuses(first, headers, 3), [200, 200, 429], 'the first instance: its own 2 per minute')
  t.same(await statuses(second, headers, 3), [200, 200, 429], 'the second instance: its own 2 per minute')
})

t.test('a frozen Redis (connected, never answering) fails over too', async t => {
  const { redis, first, second, headers } = await twoInstancesOnPrivateRedis(t, 1)
  redis.freeze()
  t.equal(first.ctx.redis?.status, 'ready', 'the connection still looks healthy')
  t.same(await statuses(first, headers, 2), [200, 429])
  t.same(await statuses(second, headers, 2), [200, 429])
  await redis.kill()
})

t.test('while the per-process insurance decides, a metric counts it and a warning says so', async t => {
  const redis = await startPrivateRedis(t)
  const standIn = await startAzureStandIn(t)
  const lines: string[] = []
  const env = azureEnv(standIn, { REDIS_URL: redis.url, GENERATE_RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}`, LOG_LEVEL: 'warn' })
  const app = await buildTestApp(t, { env, logTo: { write: (line: string) => { lines.push(line) } } })
  while (app.ctx.redis?.status !== 'ready') await sleep(20)
  const { headers } = await app.createClient()
  const decisions = async (): Promise<number> => {
    const response = await app.internal.inject({ method: 'GET', url: '/metrics' })
    return Number(/rate_limit_insurance_decisions_total\{limiter="generate_per_minute"\} (\d+)/.exec(response.body)?.[1])
  }
  const warnings = () => lines.filter(line => line.includes('rate limit is kept per process'))
  t.same(await statuses(app, headers, 1), [200])
  t.equal(await decisions(), 0, 'none while Redis answers')
  t.same(warnings(), [], 'no warning while Redis answers')
  redis.freeze()
  t.same(await statuses(app, headers, 2), [200, 200])
  t.ok(await decisions() >= 2, 'each decision the process took is counted')
  const warned = warnings()
  t.ok(warned.length >= 1 && warned.length <= 2, `warned once per limiter, not per request (${warned.length})`)
  t.match(warned[0], /generate_/)
  await redis.kill()
})
