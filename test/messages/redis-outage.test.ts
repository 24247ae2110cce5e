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
